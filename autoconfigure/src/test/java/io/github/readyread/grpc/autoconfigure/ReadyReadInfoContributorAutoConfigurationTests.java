package io.github.readyread.grpc.autoconfigure;

import java.util.Map;

import io.github.readyread.grpc.actuate.ReadyReadInfoContributor;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadyReadInfoContributorAutoConfiguration}.
 */
class ReadyReadInfoContributorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("grpc.ready-read.event-loop.threads=1", "grpc.ready-read.transport=nio")
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadInfoContributorAutoConfiguration.class));

	@Test
	void contributesModeTransportAndReadPath() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ReadyReadInfoContributor.class);
			Info.Builder builder = new Info.Builder();
			context.getBean(ReadyReadInfoContributor.class).contribute(builder);
			assertThat(builder.build().getDetails()).containsEntry("grpc",
					Map.of("ready-read", Map.of("mode", "fallback", "transport", "nio", "readPath", "ready")));
		});
	}

	@Test
	void isOffWhenItsInfoContributorIsDisabled() {
		this.contextRunner.withPropertyValues("management.info.ready-read.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReadyReadInfoContributor.class));
	}

	@Test
	void isOffWhenItsInfoContributorIsDisabledByItsOlderSpelling() {
		this.contextRunner.withPropertyValues("management.info.readyread.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReadyReadInfoContributor.class));
	}

	@Test
	void isOffWhenInfoContributorsAreDisabledByDefault() {
		this.contextRunner.withPropertyValues("management.info.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReadyReadInfoContributor.class));
	}

	@Test
	void backsOffWithoutActuator() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(InfoContributor.class)).run((context) -> {
			assertThat(context).hasSingleBean(ReadyReadTransport.class);
			assertThat(context).doesNotHaveBean(ReadyReadInfoContributor.class);
		});
	}

	@Test
	void backsOffWhenTheTransportIsSwitchedOff() {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(ReadyReadInfoContributor.class));
	}

	@Test
	void userDefinedContributorReplacesOurs() {
		this.contextRunner.withUserConfiguration(UserContributorConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ReadyReadInfoContributor.class);
			assertThat(context).hasBean("userContributor");
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserContributorConfiguration {

		@Bean
		ReadyReadInfoContributor userContributor(ReadyReadTransport transport) {
			return new ReadyReadInfoContributor(transport);
		}

	}

}
