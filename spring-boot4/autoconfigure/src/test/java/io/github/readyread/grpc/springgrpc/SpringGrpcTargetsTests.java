package io.github.readyread.grpc.springgrpc;

import java.lang.reflect.Constructor;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.core.env.PropertyResolver;
import org.springframework.grpc.client.VirtualTargets;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SpringGrpcTargets} gives the target Spring Boot's channel factories connect a
 * name to, but for the {@code static:} or {@code tcp:} prefix Spring Boot cuts: held to
 * Spring Boot's own {@code PropertiesVirtualTargets} over names of every kind, so that a
 * Spring Boot upgrade that changes it fails here.
 */
class SpringGrpcTargetsTests {

	private static final List<String> NAMES = List.of("configured", "placeholder-channel", "default",
			"${backend.target}", "${host.target}", "dns:///svc.example:443", "tcp://host:2", "static://host:3",
			"unix:/run/x.sock", "localhost:9091", "just-a-name");

	private final MockEnvironment environment = new MockEnvironment()
		.withProperty("backend.target", "unix:/run/backend.sock")
		.withProperty("host.target", "static://host.example:1234");

	private final GrpcClientProperties properties = properties();

	@Test
	void aPlaceholderNameIsTheTargetItResolvesTo() {
		assertThat(SpringGrpcTargets.of("${backend.target}", this.properties, this.environment))
			.isEqualTo("unix:/run/backend.sock");
		assertThat(SpringGrpcTargets.of("placeholder-channel", this.properties, this.environment))
			.isEqualTo("static://host.example:1234");
	}

	@Test
	void anUnconfiguredDefaultChannelIsSpringBootsDefaultTarget() {
		assertThat(SpringGrpcTargets.of("default", this.properties, this.environment))
			.isEqualTo("static://localhost:9090");
	}

	@Test
	void everyNameGivesWhatSpringBootGivesButForThePrefixItCuts() throws Exception {
		VirtualTargets boot = springBoots(this.environment, this.properties);
		for (String name : NAMES) {
			assertThat(
					SpringGrpcTargets.of(name, this.properties, this.environment).replaceFirst("^(static|tcp):/*", ""))
				.as(name)
				.isEqualTo(boot.getTarget(name));
		}
	}

	private static GrpcClientProperties properties() {
		GrpcClientProperties properties = new GrpcClientProperties();
		GrpcClientProperties.Channel configured = new GrpcClientProperties.Channel();
		configured.setTarget("dns:///configured.example:443");
		properties.getChannel().put("configured", configured);
		GrpcClientProperties.Channel placeholder = new GrpcClientProperties.Channel();
		placeholder.setTarget("${host.target}");
		properties.getChannel().put("placeholder-channel", placeholder);
		return properties;
	}

	private static VirtualTargets springBoots(PropertyResolver resolver, GrpcClientProperties properties)
			throws Exception {
		Class<?> type = Class.forName("org.springframework.boot.grpc.client.autoconfigure.PropertiesVirtualTargets");
		Constructor<?> constructor = type.getDeclaredConstructor(PropertyResolver.class, GrpcClientProperties.class);
		constructor.setAccessible(true);
		return (VirtualTargets) constructor.newInstance(resolver, properties);
	}

}
