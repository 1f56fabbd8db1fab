package io.github.readyread.grpc.transport.internal;

import java.lang.reflect.Field;
import java.util.List;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.SecurityLevel;
import io.grpc.internal.GrpcAttributes;
import io.grpc.internal.GrpcUtil;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyChannelBuilder;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.ProtocolNegotiationEvent;
import io.netty.channel.ChannelHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.AsciiString;
import org.jspecify.annotations.Nullable;

/**
 * The one place that touches grpc-netty's internal protocol negotiation API.
 *
 * <p>
 * grpc-java marks these types {@code @Internal}: they may change in any release, so an
 * upgrade should need changes here only. Everything else in this project speaks in terms
 * of {@link Negotiator} and plain Netty handlers.
 */
public final class GrpcNettyBridge {

	private static final AsciiString HTTP = AsciiString.of("http");

	private static final AsciiString HTTPS = AsciiString.of("https");

	/** grpc-netty's factory behind {@code NettyServerBuilder.forPort(port)}. */
	private static final String SERVER_PLAINTEXT = "io.grpc.netty.ProtocolNegotiators$PlaintextProtocolNegotiatorServerFactory";

	/**
	 * grpc-netty's factory behind {@code sslContext(...)} and
	 * {@code useTransportSecurity(...)}.
	 */
	private static final String SERVER_TLS = "io.grpc.netty.ProtocolNegotiators$TlsProtocolNegotiatorServerFactory";

	/**
	 * grpc-netty's factory that {@code negotiationType(...)} and {@code sslContext(...)}
	 * set.
	 */
	private static final String CLIENT_DEFAULT = "io.grpc.netty.NettyChannelBuilder$DefaultProtocolNegotiator";

	/**
	 * grpc-netty's factory behind {@code forTarget(target, InsecureChannelCredentials)},
	 * as Spring gRPC builds channels.
	 */
	private static final String CLIENT_PLAINTEXT_CREDENTIALS = "io.grpc.netty.ProtocolNegotiators$PlaintextProtocolNegotiatorClientFactory";

	/** grpc-netty's factory behind {@code forTarget(target, TlsChannelCredentials)}. */
	private static final String CLIENT_TLS_CREDENTIALS = "io.grpc.netty.ProtocolNegotiators$TlsProtocolNegotiatorClientFactory";

	private GrpcNettyBridge() {
	}

	/** Makes every connection of a client channel use {@code negotiator}. */
	public static void install(NettyChannelBuilder builder, Negotiator negotiator, boolean secure) {
		InternalProtocolNegotiator.ClientFactory factory = new InternalProtocolNegotiator.ClientFactory() {
			@Override
			public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
				return adapt(negotiator, secure);
			}

			@Override
			public int getDefaultPort() {
				return secure ? 443 : 80;
			}
		};
		if (isFrozen(NettyChannelBuilder.class, builder)) {
			replacePlaintext(NettyChannelBuilder.class, builder, installedSecurity(builder), factory);
		}
		else {
			InternalNettyChannelBuilder.setProtocolNegotiatorFactory(builder, factory);
		}
	}

	/**
	 * The security that the connections of a server built by {@code builder} would run
	 * now: {@link ConnectionSecurity#PLAINTEXT} (grpc's default),
	 * {@link ConnectionSecurity#TLS} ({@code sslContext}, {@code useTransportSecurity})
	 * or {@link ConnectionSecurity#CUSTOM} (a negotiator set with
	 * {@code protocolNegotiator}, ours included).
	 * @param builder the builder, after the application configured it
	 * @return the security
	 * @throws IllegalStateException if this grpc-netty version keeps it where this bridge
	 * cannot read it
	 */
	public static ConnectionSecurity installedSecurity(NettyServerBuilder builder) {
		Object factory = negotiatorFactory(NettyServerBuilder.class, builder);
		return switch (factory.getClass().getName()) {
			case SERVER_PLAINTEXT -> ConnectionSecurity.PLAINTEXT;
			case SERVER_TLS -> ConnectionSecurity.TLS;
			default -> ConnectionSecurity.CUSTOM;
		};
	}

	/**
	 * Whether a server built by {@code builder} listens on a Unix domain socket: one of
	 * the addresses it was created with or given later is a {@link DomainSocketAddress}.
	 * @param builder the builder, after the application configured it
	 * @return {@code true} if any listen address is a domain socket
	 * @throws IllegalStateException if this grpc-netty version keeps the addresses where
	 * this bridge cannot read them
	 */
	public static boolean listensOnDomainSocket(NettyServerBuilder builder) {
		Object addresses = field(NettyServerBuilder.class, builder, "listenAddresses");
		if (!(addresses instanceof List<?> list)) {
			throw unsupported(NettyServerBuilder.class.getName() + ".listenAddresses is not a list: " + addresses,
					null);
		}
		return list.stream().anyMatch(DomainSocketAddress.class::isInstance);
	}

	/**
	 * The security that the connections of a channel built by {@code builder} would run
	 * now: from its negotiation type ({@code usePlaintext}, {@code useTransportSecurity},
	 * {@code negotiationType}) or the insecure or TLS credentials it was created with, or
	 * {@link ConnectionSecurity#CUSTOM} for a negotiator factory set some other way (ours
	 * included).
	 * @param builder the builder, after the application configured it
	 * @return the security
	 * @throws IllegalStateException if the builder has an {@code SslContext} but a
	 * plaintext negotiation type (grpc-java would ignore the context and connect in
	 * plaintext), or if this grpc-netty version keeps its negotiation type where this
	 * bridge cannot read it
	 */
	public static ConnectionSecurity installedSecurity(NettyChannelBuilder builder) {
		Object factory = negotiatorFactory(NettyChannelBuilder.class, builder);
		switch (factory.getClass().getName()) {
			case CLIENT_DEFAULT:
				break;
			case CLIENT_PLAINTEXT_CREDENTIALS:
				return ConnectionSecurity.PLAINTEXT;
			case CLIENT_TLS_CREDENTIALS:
				return ConnectionSecurity.TLS;
			default:
				return ConnectionSecurity.CUSTOM;
		}
		Object type = field(factory.getClass(), factory, "negotiationType");
		if (type == NegotiationType.TLS) {
			return ConnectionSecurity.TLS;
		}
		if (type == NegotiationType.PLAINTEXT_UPGRADE) {
			return ConnectionSecurity.PLAINTEXT_UPGRADE;
		}
		if (type != NegotiationType.PLAINTEXT) {
			throw unsupported("NettyChannelBuilder negotiation type " + type, null);
		}
		if (field(factory.getClass(), factory, "sslContext") != null) {
			throw new IllegalStateException("The channel has an SslContext but negotiation type PLAINTEXT:"
					+ " grpc-java would ignore the SslContext and connect in plaintext."
					+ " Call useTransportSecurity() as well, or drop the SslContext");
		}
		return ConnectionSecurity.PLAINTEXT;
	}

	private static Object negotiatorFactory(Class<?> type, Object builder) {
		Object factory = field(type, builder, "protocolNegotiatorFactory");
		if (factory == null) {
			throw unsupported(type.getName() + ".protocolNegotiatorFactory is null", null);
		}
		return factory;
	}

	// Package-private for the test that pins the failure.
	static @Nullable Object field(Class<?> type, Object target, String name) {
		try {
			Field field = type.getDeclaredField(name);
			field.setAccessible(true);
			return field.get(target);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw unsupported("cannot read " + type.getName() + "." + name, ex);
		}
	}

	private static IllegalStateException unsupported(String what, @Nullable Throwable cause) {
		return new IllegalStateException("The ready-read transport cannot read the settings of a grpc-netty "
				+ GrpcUtil.getGrpcBuildVersion().getImplementationVersion() + " builder (its security or listen"
				+ " addresses: " + what
				+ "): this grpc-java version is not supported; use the grpc-java version the starter names,"
				+ " or set grpc.ready-read.enabled=false", cause);
	}

	/** Makes every accepted connection of a server use {@code negotiator}. */
	public static void install(NettyServerBuilder builder, Negotiator negotiator, boolean secure) {
		InternalProtocolNegotiator.ProtocolNegotiator adapted = adapt(negotiator, secure);
		if (isFrozen(NettyServerBuilder.class, builder)) {
			replacePlaintext(NettyServerBuilder.class, builder, installedSecurity(builder),
					(InternalProtocolNegotiator.ServerFactory) (offloadExecutorPool) -> adapted);
		}
		else {
			builder.protocolNegotiator(adapted);
		}
	}

	/**
	 * Whether the builder was made from credentials ({@code forPort(port, credentials)},
	 * {@code forTarget(target, credentials)}, as Spring gRPC makes them): grpc-java then
	 * refuses to change its negotiator through the builder's methods.
	 */
	private static boolean isFrozen(Class<?> type, Object builder) {
		return Boolean.TRUE.equals(field(type, builder, "freezeProtocolNegotiatorFactory"));
	}

	/**
	 * Replaces the plaintext negotiator of insecure credentials; any other security the
	 * credentials chose is the application's and stays.
	 */
	private static void replacePlaintext(Class<?> type, Object builder, ConnectionSecurity installed, Object factory) {
		if (installed != ConnectionSecurity.PLAINTEXT) {
			throw new IllegalStateException("The builder was made from " + installed.displayName()
					+ " credentials: the ready-read transport only replaces plaintext");
		}
		try {
			Field field = type.getDeclaredField("protocolNegotiatorFactory");
			field.setAccessible(true);
			field.set(builder, factory);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw unsupported("cannot set " + type.getName() + ".protocolNegotiatorFactory", ex);
		}
	}

	/**
	 * Wraps {@code next} in grpc's handler that waits until the channel is active, then
	 * fires the default negotiation event (with local and remote address) at it.
	 */
	public static ChannelHandler waitUntilActive(ChannelHandler next, ChannelLogger logger) {
		return InternalProtocolNegotiators.waitUntilActiveHandler(next, logger);
	}

	/** Whether {@code event} is grpc's protocol negotiation event. */
	public static boolean isNegotiationEvent(Object event) {
		return event instanceof ProtocolNegotiationEvent;
	}

	/** The attributes carried by a negotiation event. */
	public static Attributes attributes(Object negotiationEvent) {
		return InternalProtocolNegotiationEvent.getAttributes((ProtocolNegotiationEvent) negotiationEvent);
	}

	/** A copy of a negotiation event with other attributes. */
	public static Object withAttributes(Object negotiationEvent, Attributes attributes) {
		return InternalProtocolNegotiationEvent.withAttributes((ProtocolNegotiationEvent) negotiationEvent, attributes);
	}

	/** The transport attribute grpc reads a connection's security level from. */
	public static Attributes.Key<SecurityLevel> securityLevelKey() {
		return GrpcAttributes.ATTR_SECURITY_LEVEL;
	}

	private static InternalProtocolNegotiator.ProtocolNegotiator adapt(Negotiator negotiator, boolean secure) {
		return new InternalProtocolNegotiator.ProtocolNegotiator() {
			@Override
			public AsciiString scheme() {
				return secure ? HTTPS : HTTP;
			}

			@Override
			public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
				return negotiator.newHandler(new GrpcHandler(grpcHandler));
			}

			@Override
			public void close() {
				negotiator.close();
			}
		};
	}

	/**
	 * Builds the pipeline handler of one connection around grpc's HTTP/2 handler.
	 */
	@FunctionalInterface
	public interface Negotiator {

		/**
		 * Builds the handler of one new connection.
		 * @param grpc grpc's HTTP/2 handler, to be put in place once negotiation is done
		 * ({@link GrpcHandler#negotiationHandler})
		 * @return the handler grpc-netty adds to the new channel's pipeline
		 */
		ChannelHandler newHandler(GrpcHandler grpc);

		/** Called once the channel or server is shut down. */
		default void close() {
		}

	}

	/**
	 * grpc's HTTP/2 handler of one new connection ({@code GrpcHttp2ConnectionHandler}, an
	 * internal grpc-netty type), as the negotiators see it: what they put in place once
	 * their negotiation is done, and where they log it.
	 */
	public static final class GrpcHandler {

		private final GrpcHttp2ConnectionHandler handler;

		GrpcHandler(GrpcHttp2ConnectionHandler handler) {
			this.handler = handler;
		}

		/**
		 * The handler that, on the negotiation event, replaces itself with grpc's HTTP/2
		 * handler and hands it the event's attributes.
		 * @return a new handler
		 */
		public ChannelHandler negotiationHandler() {
			return InternalProtocolNegotiators.grpcNegotiationHandler(this.handler);
		}

		/**
		 * Where grpc logs this connection's negotiation.
		 * @return the logger
		 */
		public ChannelLogger negotiationLogger() {
			return this.handler.getNegotiationLogger();
		}

	}

}
