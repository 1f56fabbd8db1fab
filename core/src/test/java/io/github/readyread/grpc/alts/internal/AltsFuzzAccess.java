package io.github.readyread.grpc.alts.internal;

import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.grpc.alts.internal.HandshakerResult;
import io.netty.channel.ChannelHandler;

/**
 * Package-private ALTS parts the fuzz targets in {@code io.github.readyread.grpc.fuzz}
 * drive directly: the handshake handler (built by {@link AltsNegotiator} only from grpc's
 * HTTP/2 handler) and the checks of a handshake result (which the embedded handshaker's
 * tests use too).
 */
public final class AltsFuzzAccess {

	private AltsFuzzAccess() {
	}

	/**
	 * The handshake handler of one connection; {@code next} gets the negotiation event.
	 */
	public static ChannelHandler handshakeHandler(boolean client, AltsSettings settings, HandshakeLimiter limiter,
			AltsHandshakeFailures failures, ChannelHandler next) {
		return new AltsHandshakeHandler(client, settings, null, limiter, failures, next);
	}

	/**
	 * What the handshake handler finds wrong with {@code result}, {@code null} if
	 * nothing.
	 */
	public static String checkResult(HandshakerResult result, boolean client) {
		return AltsRpcVersions.checkResult(result, client);
	}

}
