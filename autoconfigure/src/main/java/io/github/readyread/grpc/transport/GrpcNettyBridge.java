package io.github.readyread.grpc.transport;

import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.SecurityLevel;
import io.grpc.internal.GrpcAttributes;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyChannelBuilder;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.ProtocolNegotiationEvent;
import io.netty.channel.ChannelHandler;
import io.netty.util.AsciiString;

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

	private GrpcNettyBridge() {
	}

	/**
	 * Builds the pipeline handler of one connection around grpc's HTTP/2 handler.
	 */
	@FunctionalInterface
	public interface Negotiator {

		/**
		 * @param grpcHandler grpc's HTTP/2 handler, to be put in place once negotiation
		 * is done (see {@link #grpcNegotiationHandler})
		 * @return the handler grpc-netty adds to the new channel's pipeline
		 */
		ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler);

		/** Called once the channel or server is shut down. */
		default void close() {
		}

	}

	/** Makes every connection of a client channel use {@code negotiator}. */
	public static void install(NettyChannelBuilder builder, Negotiator negotiator, boolean secure) {
		InternalNettyChannelBuilder.setProtocolNegotiatorFactory(builder,
				new InternalProtocolNegotiator.ClientFactory() {
					@Override
					public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
						return adapt(negotiator, secure);
					}

					@Override
					public int getDefaultPort() {
						return secure ? 443 : 80;
					}
				});
	}

	/** Makes every accepted connection of a server use {@code negotiator}. */
	public static void install(NettyServerBuilder builder, Negotiator negotiator, boolean secure) {
		builder.protocolNegotiator(adapt(negotiator, secure));
	}

	/**
	 * Wraps {@code next} in grpc's handler that waits until the channel is active, then
	 * fires the default negotiation event (with local and remote address) at it.
	 */
	public static ChannelHandler waitUntilActive(ChannelHandler next, ChannelLogger logger) {
		return InternalProtocolNegotiators.waitUntilActiveHandler(next, logger);
	}

	/**
	 * The handler that, on the negotiation event, replaces itself with grpc's HTTP/2
	 * handler and hands it the event's attributes.
	 */
	public static ChannelHandler grpcNegotiationHandler(GrpcHttp2ConnectionHandler grpcHandler) {
		return InternalProtocolNegotiators.grpcNegotiationHandler(grpcHandler);
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
				return negotiator.newHandler(grpcHandler);
			}

			@Override
			public void close() {
				negotiator.close();
			}
		};
	}

}
