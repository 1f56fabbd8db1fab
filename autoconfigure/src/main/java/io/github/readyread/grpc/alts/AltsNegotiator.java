package io.github.readyread.grpc.alts;

import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.grpc.ChannelLogger;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.netty.channel.ChannelHandler;

/**
 * Puts ALTS under every connection of a client channel or a server:
 * {@code GrpcNettyBridge.install(builder, AltsNegotiator.client(settings), true)}.
 *
 * <p>
 * Each negotiator owns its own {@link HandshakeLimiter}, so the client and server sides
 * of one process never wait on each other's permits.
 */
public final class AltsNegotiator implements GrpcNettyBridge.Negotiator {

	private final boolean client;

	private final AltsSettings settings;

	private final HandshakeLimiter limiter;

	private AltsNegotiator(boolean client, AltsSettings settings) {
		this.client = client;
		this.settings = settings;
		this.limiter = new HandshakeLimiter(settings.maxConcurrentHandshakes());
	}

	/** The negotiator of a client channel. */
	public static AltsNegotiator client(AltsSettings settings) {
		return new AltsNegotiator(true, settings);
	}

	/** The negotiator of a server. */
	public static AltsNegotiator server(AltsSettings settings) {
		return new AltsNegotiator(false, settings);
	}

	public boolean isClient() {
		return this.client;
	}

	public HandshakeLimiter limiter() {
		return this.limiter;
	}

	@Override
	public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
		ChannelLogger logger = grpcHandler.getNegotiationLogger();
		AltsHandshakeHandler handshake = new AltsHandshakeHandler(this.client, this.settings, this.limiter,
				GrpcNettyBridge.grpcNegotiationHandler(grpcHandler));
		return GrpcNettyBridge.waitUntilActive(handshake, logger);
	}

}
