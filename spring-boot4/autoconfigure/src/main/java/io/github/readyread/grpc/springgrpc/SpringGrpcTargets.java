package io.github.readyread.grpc.springgrpc;

import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.core.env.PropertyResolver;

/**
 * The target of a channel as Spring Boot's channel factories resolve it from the name the
 * application asked for (Spring Boot 4.1's package-private
 * {@code PropertiesVirtualTargets}), which its channel builder customizers do not see:
 * they are given the name. A channel under {@code spring.grpc.client.channel.<name>} has
 * its target, placeholders resolved; {@code default}, when it is not configured,
 * {@code static://localhost:9090}; any other name is a target itself, placeholders
 * resolved. The {@code static:} or {@code tcp:} prefix Spring Boot cuts before it
 * connects is kept, as the application wrote it (and as the Spring Boot 3 integration
 * shows net.devh's addresses). {@code SpringGrpcTargetsTests} holds it to Spring Boot's
 * own class.
 */
final class SpringGrpcTargets {

	/** Spring Boot's target for an unconfigured channel named {@code default}. */
	static final String DEFAULT_TARGET = "static://localhost:9090";

	private SpringGrpcTargets() {
	}

	/**
	 * The target of the channel named {@code name}.
	 * @param name the name the application asked the channel factory for
	 * @param properties the client properties Spring Boot bound
	 * @param resolver resolves placeholders, as the application's environment does
	 * @return the channel's target
	 */
	static String of(String name, GrpcClientProperties properties, PropertyResolver resolver) {
		GrpcClientProperties.Channel channel = properties.getChannel().get(name);
		if (channel != null) {
			return resolver.resolvePlaceholders(channel.getTarget());
		}
		return "default".equals(name) ? DEFAULT_TARGET : resolver.resolvePlaceholders(name);
	}

}
