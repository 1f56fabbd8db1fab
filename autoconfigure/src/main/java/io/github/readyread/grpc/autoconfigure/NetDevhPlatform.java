package io.github.readyread.grpc.autoconfigure;

import java.util.Set;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import org.jspecify.annotations.Nullable;

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

	/** net.devh's server factories that build servers on a network address. */
	static final Set<String> NETWORK_SERVER_FACTORIES = Set.of(
			"net.devh.boot.grpc.server.serverfactory.NettyGrpcServerFactory",
			"net.devh.boot.grpc.server.serverfactory.ShadedNettyGrpcServerFactory");

	private NetDevhPlatform() {
	}

	/**
	 * Where a server factory's server would listen, for an error message.
	 * @param factory the server factory
	 * @return its address and port, {@code null} if it does not say
	 */
	static @Nullable String serverAddress(Object factory) {
		if (!(factory instanceof GrpcServerFactory serverFactory)) {
			return null;
		}
		try {
			String address = serverFactory.getAddress();
			return (address == null || address.startsWith("unix:")) ? address : address + ":" + serverFactory.getPort();
		}
		catch (RuntimeException ex) {
			return null;
		}
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
