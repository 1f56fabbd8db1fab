package io.github.readyread.grpc.transport;

import java.util.function.Supplier;

import io.netty.channel.ChannelHandler;
import org.jspecify.annotations.Nullable;

/**
 * Handlers that an instrumentation (a benchmark, a test) adds to each connection of a
 * server, given to
 * {@link ReadyReadTransport#configure(io.grpc.netty.NettyServerBuilder, TransportSecurity, ConnectionInstrumentation)}
 * so that the connections keep the transport's own read path and security; applications
 * do not need it. The handlers must pass on what they do not mean to change.
 *
 * <pre>
 *   plaintext: [head] [read path]                 [plaintext] [gRPC HTTP/2]
 *   ALTS:      [head] [read path] [record layer]  [plaintext] [gRPC HTTP/2]
 * </pre>
 *
 * @param headHandler makes the handler put first in each connection's pipeline (next to
 * the socket), before its handshake, or {@code null}
 * @param plaintextHandler makes the handler put where each connection's bytes are
 * plaintext HTTP/2, right in front of gRPC's HTTP/2 handler (behind the ALTS record
 * layer), or {@code null}; the conventional read path only (on the ready read path, the
 * frame aligner is there)
 */
public record ConnectionInstrumentation(@Nullable Supplier<ChannelHandler> headHandler,
		@Nullable Supplier<ChannelHandler> plaintextHandler) {

	/** No handler added. */
	public static final ConnectionInstrumentation NONE = new ConnectionInstrumentation(null, null);

	/**
	 * A head handler only.
	 * @param headHandler makes the handler put first in each connection's pipeline
	 * @return the instrumentation
	 */
	public static ConnectionInstrumentation headHandler(Supplier<ChannelHandler> headHandler) {
		return new ConnectionInstrumentation(headHandler, null);
	}

	/**
	 * This instrumentation with a plaintext handler.
	 * @param plaintextHandler makes the handler put in front of gRPC's HTTP/2 handler, or
	 * {@code null}
	 * @return the instrumentation
	 */
	public ConnectionInstrumentation withPlaintextHandler(@Nullable Supplier<ChannelHandler> plaintextHandler) {
		return new ConnectionInstrumentation(this.headHandler, plaintextHandler);
	}

	/** Whether it adds no handler. */
	boolean isNone() {
		return this.headHandler == null && this.plaintextHandler == null;
	}

}
