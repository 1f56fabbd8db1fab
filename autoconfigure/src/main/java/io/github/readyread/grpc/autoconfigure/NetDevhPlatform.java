package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;

/**
 * How net.devh's starter names the settings behind a security conflict, and the factories
 * and configurers that build a server or channel without the transport.
 */
final class NetDevhPlatform implements ReadyReadBuilders.Platform {

	static final NetDevhPlatform INSTANCE = new NetDevhPlatform();

	/** For {@link AltsAppliedCheck#serverStarted}. */
	static final String SERVER_NOT_CONFIGURED = "a GrpcServerFactory bean of the application's own that does not"
			+ " apply the GrpcServerConfigurer beans. Give that factory every GrpcServerConfigurer bean (net.devh's"
			+ " NettyGrpcServerFactory applies those it is given), leave the server factory to the starter, or set"
			+ " grpc.ready-read.alts.server=false";

	/** For {@link AltsAppliedCheck#channelsCreated}. */
	static final String CHANNELS_NOT_CONFIGURED = "a GrpcChannelFactory bean of the application's own that does not"
			+ " apply the GrpcChannelConfigurer beans. Give that factory every GrpcChannelConfigurer bean (net.devh's"
			+ " NettyChannelFactory applies those it is given), leave the channel factory to the starter, or drop the"
			+ " channels from grpc.ready-read.alts.client-channels";

	private NetDevhPlatform() {
	}

	@Override
	public String serverSecurity(ConnectionSecurity installed) {
		return (installed == ConnectionSecurity.TLS)
				? "TLS (grpc.server.security.enabled=true or a GrpcServerConfigurer calling"
						+ " sslContext/useTransportSecurity)"
				: "a protocol negotiator a GrpcServerConfigurer installed";
	}

	@Override
	public String channelSecurity(String name, ConnectionSecurity installed) {
		return ((installed == ConnectionSecurity.CUSTOM) ? "a protocol negotiator a GrpcChannelConfigurer installed"
				: installed.displayName() + " security (grpc.client." + name + ".negotiation-type="
						+ installed.displayName() + ", net.devh's default is tls, or a GrpcChannelConfigurer calling"
						+ " useTransportSecurity)")
				+ "; set grpc.client." + name + ".negotiation-type=plaintext for ALTS, or drop it from"
				+ " grpc.ready-read.alts.client-channels";
	}

}
