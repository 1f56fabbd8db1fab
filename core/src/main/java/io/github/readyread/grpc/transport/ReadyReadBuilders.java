package io.github.readyread.grpc.transport;

import java.util.Locale;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the builders a gRPC integration (net.devh, Spring gRPC) hands over on the
 * ready-read transport, keeping the security the application configured: grpc-java's
 * plaintext negotiator is replaced, TLS and the application's own negotiators are kept
 * and reported, and ALTS on a builder that is not plaintext fails at startup. A server or
 * channel on a Unix domain socket is left as the integration built it (the transport
 * serves TCP), and fails at startup if ALTS was asked for it. What the integration's
 * properties are called is the {@link Platform}'s to say.
 */
public final class ReadyReadBuilders {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadBuilders.class);

	private final ReadyReadTransport transport;

	private final ChannelSecurity security;

	private final Platform platform;

	/**
	 * Creates the configurer of one integration.
	 * @param transport the shared transport
	 * @param security which connections ALTS secures
	 * @param platform how the integration names its settings, for error messages
	 */
	public ReadyReadBuilders(ReadyReadTransport transport, ChannelSecurity security, Platform platform) {
		this.transport = transport;
		this.security = security;
		this.platform = platform;
	}

	/**
	 * Puts a server builder on the transport; an in-process builder and one that listens
	 * on a Unix domain socket are left alone.
	 * @param builder the builder the integration created
	 * @return the server's registration, {@code null} for a builder left alone
	 * @throws IllegalStateException if ALTS is asked for a server that has other security
	 * or listens on a domain socket
	 */
	public @Nullable Registration configureServer(ServerBuilder<?> builder) {
		if (isInProcess(builder)) {
			return null;
		}
		if (!(builder instanceof NettyServerBuilder nettyBuilder)) {
			throw new IllegalStateException("gRPC server is built by " + builder.getClass().getName()
					+ ", which the ready-read transport cannot configure; expected io.grpc.netty.NettyServerBuilder"
					+ " (set grpc.ready-read.enabled=false to use it as it is)");
		}
		TransportSecurity asked = this.security.securityOf(Owner.server());
		if (GrpcNettyBridge.listensOnDomainSocket(nettyBuilder)) {
			if (asked instanceof TransportSecurity.Alts) {
				throw new IllegalStateException("gRPC server has grpc.ready-read.alts.server=true and listens on a"
						+ " Unix domain socket, which the ready-read transport leaves as the integration built it,"
						+ " without ALTS; listen on TCP or turn ALTS off for this server");
			}
			logger
				.info("gRPC server listens on a Unix domain socket: left on its own event loops and gRPC's read path");
			return null;
		}
		ConnectionSecurity installed = GrpcNettyBridge.installedSecurity(nettyBuilder);
		if (asked instanceof TransportSecurity.Alts && installed != ConnectionSecurity.PLAINTEXT) {
			throw new IllegalStateException("gRPC server has grpc.ready-read.alts.server=true and "
					+ this.platform.serverSecurity(installed) + "; choose one");
		}
		Registration server = this.transport.configure(nettyBuilder, resolve(asked, installed));
		if (installed != ConnectionSecurity.PLAINTEXT) {
			logger.info("gRPC server uses {} through {} negotiator: conventional read path",
					server.security().displayName(), negotiatorOwner(installed));
		}
		return server;
	}

	/**
	 * Puts a client channel builder on the transport; an in-process builder and one whose
	 * target is a Unix domain socket ({@code unix:}) are left alone.
	 * @param builder the builder the integration created
	 * @param name the channel's name
	 * @param target the channel's target address
	 * @return the channel's registration, {@code null} for a builder left alone
	 * @throws IllegalStateException if ALTS is asked for a channel that has other
	 * security or connects to a domain socket
	 */
	public @Nullable Registration configureChannel(ManagedChannelBuilder<?> builder, String name, String target) {
		if (isInProcess(builder)) {
			return null;
		}
		if (isDomainSocketTarget(target)) {
			checkDomainSocketChannel(this.security, name, target);
			logger.info("gRPC channel '{}' connects to a Unix domain socket: left on its own event loops and"
					+ " gRPC's read path", name);
			return null;
		}
		if (!(builder instanceof NettyChannelBuilder nettyBuilder)) {
			throw new IllegalStateException("gRPC channel '" + name + "' is built by " + builder.getClass().getName()
					+ ", which the ready-read transport cannot configure; expected io.grpc.netty.NettyChannelBuilder"
					+ " (set grpc.ready-read.enabled=false to use it as it is)");
		}
		ConnectionSecurity installed;
		try {
			installed = GrpcNettyBridge.installedSecurity(nettyBuilder);
		}
		catch (IllegalStateException ex) {
			throw new IllegalStateException("gRPC channel '" + name + "': " + ex.getMessage(), ex);
		}
		TransportSecurity asked = this.security.securityOf(Owner.channel(name));
		if (asked instanceof TransportSecurity.Alts && installed != ConnectionSecurity.PLAINTEXT) {
			throw new IllegalStateException(
					"gRPC channel '" + name + "' is listed in grpc.ready-read.alts.client-channels but has "
							+ this.platform.channelSecurity(name, installed));
		}
		Registration channel = this.transport.configure(nettyBuilder, name, target, resolve(asked, installed));
		if (installed != ConnectionSecurity.PLAINTEXT) {
			logger.info("gRPC channel '{}' uses {} through {} negotiator: conventional read path", name,
					channel.security().displayName(), negotiatorOwner(installed));
		}
		return channel;
	}

	/**
	 * Whether a client channel's target is a Unix domain socket, which the transport
	 * leaves as the integration built it.
	 * @param target the channel's target
	 * @return {@code true} for a {@code unix:} target
	 */
	public static boolean isDomainSocketTarget(String target) {
		return target.startsWith("unix:");
	}

	/**
	 * Fails if ALTS is asked for a channel to a Unix domain socket, which would connect
	 * without it: integrations check the channels they know at startup, and every channel
	 * is checked again when it is built.
	 * @param security which connections ALTS secures
	 * @param name the channel's name
	 * @param target the channel's target
	 * @throws IllegalStateException if the target is a domain socket and ALTS is asked
	 * for the channel
	 */
	public static void checkDomainSocketChannel(ChannelSecurity security, String name, String target) {
		if (isDomainSocketTarget(target)
				&& security.securityOf(Owner.channel(name)) instanceof TransportSecurity.Alts) {
			throw new IllegalStateException("gRPC channel '" + name + "' is covered by"
					+ " grpc.ready-read.alts.client-channels and connects to a Unix domain socket (" + target
					+ "), which the ready-read transport leaves as the integration built it, without ALTS;"
					+ " list the channels to secure by name, without this one");
		}
	}

	/**
	 * What the transport is asked for: the application's own security stays on a builder
	 * that has one.
	 */
	private static TransportSecurity resolve(TransportSecurity asked, ConnectionSecurity installed) {
		return (installed == ConnectionSecurity.PLAINTEXT) ? asked : TransportSecurity.kept();
	}

	/**
	 * The line an integration logs at startup: mode, transport, read path (its sizing and
	 * data frames) and pool.
	 * @param transport the shared transport
	 * @return the line, starting {@code gRPC ready-read: mode=}
	 */
	public static String startupLine(ReadyReadTransport transport) {
		PoolSettings pool = transport.pool().settings();
		TransportSettings settings = transport.settings();
		String fallbackReason = transport.fallbackReason();
		return "gRPC ready-read: mode=" + transport.mode().displayName()
				+ ((fallbackReason != null) ? " (" + fallbackReason + ")" : "") + ", transport="
				+ transport.eventLoops().type().displayName() + ", read-path="
				+ settings.readPath().name().toLowerCase(Locale.ROOT) + ", read-sizing="
				+ settings.readSizing().name().toLowerCase(Locale.ROOT) + ", data-frames="
				+ settings.dataFrames().name().toLowerCase(Locale.ROOT).replace('_', '-') + ", read-buffer-size="
				+ settings.readBufferSize() + "B, pool: chunk=" + pool.chunkSize() + "B arenas=" + pool.arenas()
				+ " thread-caches=" + pool.threadCaches() + " direct=" + pool.preferDirect();
	}

	private static String negotiatorOwner(ConnectionSecurity installed) {
		return (installed == ConnectionSecurity.CUSTOM) ? "the application's own" : "grpc-java's own";
	}

	private static boolean isInProcess(Object builder) {
		return builder instanceof InProcessServerBuilder || builder instanceof InProcessChannelBuilder;
	}

	/**
	 * How an integration names the settings behind a security conflict.
	 */
	public interface Platform {

		/**
		 * What installed the server's security, after "grpc.ready-read.alts.server=true
		 * and ".
		 * @param installed the security found: TLS or CUSTOM
		 * @return e.g. "TLS (spring.grpc.server.ssl.*)"
		 */
		String serverSecurity(ConnectionSecurity installed);

		/**
		 * What installed a channel's security and how to fix it, after "is listed in
		 * grpc.ready-read.alts.client-channels but has ".
		 * @param name the channel name
		 * @param installed the security found: TLS, PLAINTEXT_UPGRADE or CUSTOM
		 * @return the rest of the message
		 */
		String channelSecurity(String name, ConnectionSecurity installed);

	}

}
