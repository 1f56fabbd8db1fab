package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadyReadEndpointAutoConfiguration}.
 */
class ReadyReadEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("grpc.ready-read.event-loop.threads=1")
		.withConfiguration(
				AutoConfigurations.of(ReadyReadAutoConfiguration.class, ReadyReadEndpointAutoConfiguration.class,
						EndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class));

	@Test
	void endpointIsCreatedWhenExposed() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=bufferpool").run((context) -> {
			assertThat(context).hasSingleBean(BufferPoolEndpoint.class);
			assertThat(context.getBean(BufferPoolEndpoint.class).bufferPool().mode())
				.isEqualTo(context.getBean(ReadyReadTransport.class).mode().displayName());
		});
	}

	@Test
	void endpointShowsTheDataFramesSetting() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=bufferpool",
					"grpc.ready-read.data-frames=copy")
			.run((context) -> assertThat(context.getBean(BufferPoolEndpoint.class).bufferPool().dataFrames())
				.isEqualTo("copy"));
	}

	@Test
	void endpointIsNotCreatedWhenNotExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(BufferPoolEndpoint.class));
	}

	@Test
	void endpointIsNotCreatedWhenAccessIsNone() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=bufferpool",
					"management.endpoint.bufferpool.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(BufferPoolEndpoint.class));
	}

	@Test
	void backsOffWithoutActuator() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=bufferpool")
			.withClassLoader(new FilteredClassLoader(Endpoint.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(ReadyReadTransport.class);
				assertThat(context).doesNotHaveBean(BufferPoolEndpoint.class);
			});
	}

	@Test
	void backsOffWhenTheTransportIsSwitchedOff() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=bufferpool", "grpc.ready-read.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(BufferPoolEndpoint.class));
	}

	@Test
	void userDefinedEndpointReplacesOurs() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=bufferpool")
			.withUserConfiguration(UserEndpointConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(BufferPoolEndpoint.class);
				assertThat(context).hasBean("userEndpoint");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserEndpointConfiguration {

		@Bean
		BufferPoolEndpoint userEndpoint(ReadyReadTransport transport, ReadPathRegistry registry) {
			return new BufferPoolEndpoint(transport, registry);
		}

	}

}
