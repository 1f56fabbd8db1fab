package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;

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

	private SpringGrpcPlatform() {
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
