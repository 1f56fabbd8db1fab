package io.github.readyread.grpc.springgrpc;

import java.lang.reflect.Method;
import java.util.Set;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import org.jspecify.annotations.Nullable;

import org.springframework.grpc.server.DefaultGrpcServerFactory;
import org.springframework.util.ReflectionUtils;

/**
 * How Spring Boot's gRPC support names the settings behind a security conflict, and the
 * factory and customizers that build a server without the transport.
 */
final class SpringGrpcPlatform implements ReadyReadBuilders.Platform {

	static final SpringGrpcPlatform INSTANCE = new SpringGrpcPlatform();

	/** The property that makes a client channel known at startup. */
	static final String CHANNEL_PROPERTY = "spring.grpc.client.channel.<name>.target";

	/**
	 * For {@link io.github.readyread.grpc.autoconfigure.AltsAppliedCheck#serverStarted}.
	 */
	static final String SERVER_NOT_CONFIGURED = "a GrpcServerFactory bean of the application's own that does not"
			+ " apply the ServerBuilderCustomizer beans. Give that factory every ServerBuilderCustomizer bean (Spring"
			+ " gRPC's NettyGrpcServerFactory applies those it is given), customize Spring Boot's factory with a"
			+ " GrpcServerFactoryCustomizer instead of replacing it, or set grpc.ready-read.alts.server=false";

	/**
	 * For {@link io.github.readyread.grpc.autoconfigure.AltsAppliedCheck#channelCreated}.
	 */
	static final String CHANNELS_NOT_CONFIGURED = "a GrpcChannelFactory bean of the application's own that does not"
			+ " apply the GrpcChannelBuilderCustomizer beans. Give that factory every GrpcChannelBuilderCustomizer bean"
			+ " (Spring gRPC's NettyGrpcChannelFactory applies those it is given), customize Spring Boot's factory"
			+ " with a GrpcChannelFactoryCustomizer instead of replacing it, or drop the channel from"
			+ " grpc.ready-read.alts.client-channels";

	/** Spring gRPC's server factories that build servers on a network address. */
	static final Set<String> NETWORK_SERVER_FACTORIES = Set.of("org.springframework.grpc.server.NettyGrpcServerFactory",
			"org.springframework.grpc.server.ShadedNettyGrpcServerFactory");

	private SpringGrpcPlatform() {
	}

	/**
	 * Where a server factory's server would listen, for an error message: the address a
	 * Spring gRPC factory was given (its {@code address()}, which is protected).
	 * @param factory the server factory
	 * @return the address, {@code null} if the factory does not say
	 */
	static @Nullable String serverAddress(Object factory) {
		if (!(factory instanceof DefaultGrpcServerFactory<?>)) {
			return null;
		}
		Method address = ReflectionUtils.findMethod(factory.getClass(), "address");
		if (address == null || address.getReturnType() != String.class) {
			return null;
		}
		try {
			ReflectionUtils.makeAccessible(address);
			return (String) address.invoke(factory);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

	@Override
	public String serverSecurity(ConnectionSecurity installed) {
		return (installed == ConnectionSecurity.TLS)
				? "TLS (spring.grpc.server.ssl.bundle or spring.grpc.server.ssl.enabled=true)"
				: "a protocol negotiator a ServerBuilderCustomizer installed";
	}

	@Override
	public String channelSecurity(String name, ConnectionSecurity installed) {
		return ((installed == ConnectionSecurity.CUSTOM)
				? "a protocol negotiator a GrpcChannelBuilderCustomizer installed"
				: installed.displayName() + " security (spring.grpc.client.channel." + name + ".ssl.*)")
				+ "; set spring.grpc.client.channel." + name + ".ssl.enabled=false for ALTS, or drop it from"
				+ " grpc.ready-read.alts.client-channels";
	}

}
