package io.github.readyread.grpc.alts.internal;

import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.github.readyread.grpc.transport.internal.ReadDemand;
import io.github.readyread.grpc.transport.internal.RecordLayerNegotiator;
import io.netty.channel.ChannelHandler;
import org.jspecify.annotations.Nullable;

/**
 * Puts ALTS under every connection of a client channel or a server:
 * {@code GrpcNettyBridge.install(builder, AltsNegotiator.client(settings), true)}.
 *
 * <p>
 * The {@link HandshakeLimiter} bounds the handshakes of one side: give every client
 * channel of a process the same client limiter, and the server its own, so client
 * handshakes never wait on server ones (and a process connecting to itself cannot fill
 * every permit with handshakes waiting for their other halves).
 */
public final class AltsNegotiator implements RecordLayerNegotiator {

	private final boolean client;

	private final AltsSettings settings;

	private final HandshakeLimiter limiter;

	private final AltsHandshakeFailures failures;

	private AltsNegotiator(boolean client, AltsSettings settings, HandshakeLimiter limiter,
			AltsHandshakeFailures failures) {
		if (settings == null || limiter == null || failures == null) {
			throw new NullPointerException("settings, limiter and failures are required");
		}
		this.client = client;
		this.settings = settings;
		this.limiter = limiter;
		this.failures = failures;
	}

	/**
	 * The negotiator of one client channel, with a limiter of
	 * {@code settings.maxConcurrentHandshakes()} of its own.
	 */
	public static AltsNegotiator client(AltsSettings settings) {
		return client(settings, new HandshakeLimiter(settings.maxConcurrentHandshakes()), new AltsHandshakeFailures());
	}

	/**
	 * The negotiator of a client channel that shares {@code limiter} and {@code failures}
	 * with the other client channels of the process.
	 */
	public static AltsNegotiator client(AltsSettings settings, HandshakeLimiter limiter,
			AltsHandshakeFailures failures) {
		return new AltsNegotiator(true, settings, limiter, failures);
	}

	/**
	 * The negotiator of a server, with a limiter of
	 * {@code settings.maxConcurrentHandshakes()} of its own.
	 */
	public static AltsNegotiator server(AltsSettings settings) {
		return server(settings, new HandshakeLimiter(settings.maxConcurrentHandshakes()), new AltsHandshakeFailures());
	}

	/** The negotiator of a server; {@code limiter} must not be a client one. */
	public static AltsNegotiator server(AltsSettings settings, HandshakeLimiter limiter,
			AltsHandshakeFailures failures) {
		return new AltsNegotiator(false, settings, limiter, failures);
	}

	public boolean isClient() {
		return this.client;
	}

	public HandshakeLimiter limiter() {
		return this.limiter;
	}

	public AltsHandshakeFailures failures() {
		return this.failures;
	}

	@Override
	public ChannelHandler newHandler(GrpcNettyBridge.GrpcHandler grpc, @Nullable ReadDemand demand) {
		AltsHandshakeHandler handshake = new AltsHandshakeHandler(this.client, this.settings, demand, this.limiter,
				this.failures, grpc.negotiationHandler());
		return GrpcNettyBridge.waitUntilActive(handshake, grpc.negotiationLogger());
	}

}
