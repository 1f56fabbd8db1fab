package io.github.readyread.grpc.autoconfigure;

import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import net.devh.boot.grpc.server.serverfactory.GrpcServerLifecycle;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application that excludes net.devh's server factory auto-configuration, the way to
 * switch its server off, gets no server from ours either; as SpringApplication runs it,
 * since only it records the exclusion.
 */
class NetDevhServerExclusionTests {

	private static final String[] PROPERTIES = { "grpc.server.address=127.0.0.1", "grpc.server.port=0",
			"grpc.ready-read.event-loop.threads=2" };

	@Test
	void excludingNetDevhsServerFactoryLeavesNoServer() {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
			.web(WebApplicationType.NONE)
			.properties(PROPERTIES)
			.properties("spring.autoconfigure.exclude=" + GrpcServerFactoryAutoConfiguration.class.getName())
			.run()) {
			assertThat(context.getBeanNamesForType(GrpcServerFactory.class)).isEmpty();
			assertThat(context.getBeanNamesForType(GrpcServerLifecycle.class)).isEmpty();
		}
	}

	@Test
	void withoutTheExclusionOurFactoryStartsTheServer() {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
			.web(WebApplicationType.NONE)
			.properties(PROPERTIES)
			.run()) {
			assertThat(context.getBeanNamesForType(GrpcServerFactory.class)).containsExactly("nettyGrpcServerFactory");
			assertThat(context.getBean(GrpcServerLifecycle.class).isRunning()).isTrue();
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class App {

	}

}
