package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;

/**
 * How net.devh's starter names the settings behind a security conflict.
 */
final class NetDevhPlatform implements ReadyReadBuilders.Platform {

	static final NetDevhPlatform INSTANCE = new NetDevhPlatform();

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
