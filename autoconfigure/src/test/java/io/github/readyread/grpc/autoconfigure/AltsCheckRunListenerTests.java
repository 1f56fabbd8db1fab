package io.github.readyread.grpc.autoconfigure;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@link AltsCheckRunListener}, as SpringApplication finds it (this module's
 * {@code META-INF/spring.factories}): it runs the checks of the context it started, after
 * the refresh and after the runners, and a check that throws fails the run; a parent
 * context's checks are the parent's own business.
 */
class AltsCheckRunListenerTests {

	@Test
	void aContextsChecksRunAfterTheRefreshAndAfterTheRunners() {
		Counted.runs.set(0);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Counted.class)
			.web(WebApplicationType.NONE)
			.run()) {
			assertThat(Counted.runs).hasValue(2);
		}
	}

	@Test
	void aCheckThatThrowsFailsTheRun() {
		assertThatIllegalStateException()
			.isThrownBy(() -> new SpringApplicationBuilder(Failing.class).web(WebApplicationType.NONE).run())
			.withMessage("failing check");
	}

	@Test
	void aChildRunsItsOwnChecksNotItsParents() {
		Counted.runs.set(0);
		try (AnnotationConfigApplicationContext parent = new AnnotationConfigApplicationContext(Failing.class)) {
			try (ConfigurableApplicationContext child = new SpringApplicationBuilder(Counted.class).parent(parent)
				.web(WebApplicationType.NONE)
				.run()) {
				assertThat(Counted.runs).as("the child's own check").hasValue(2);
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class Counted {

		static final AtomicInteger runs = new AtomicInteger();

		@Bean
		AltsCheckRunListener.Check counted() {
			return runs::incrementAndGet;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Failing {

		@Bean
		AltsCheckRunListener.Check failing() {
			return () -> {
				throw new IllegalStateException("failing check");
			};
		}

	}

}
