package io.github.readyread.grpc.transport.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a flush that is writing a large HTTP/2 message going: when the connection turns
 * writable in the middle of a flush (its outbound buffer drained below the low water
 * mark), it has the HTTP/2 handler's flow controller write its pending DATA frames at
 * once, so the socket write loop that is running goes on with them.
 *
 * <pre>
 *   flush -> [this: flushing] -> write loop -> buffer drains -> writable
 *                 -> flow controller writes its pending frames, flushed -> the same loop writes them
 * </pre>
 *
 * <p>
 * Netty's {@link Http2ConnectionHandler} did this itself up to 4.2.17. From 4.2.18 (the
 * fix of a flush livelock with {@code SslHandler}, netty#17256) it only notes the
 * writability and writes the pending frames once the write loop has drained everything:
 * one pass of the write loop per refill, with fewer but larger {@code writev} calls, and
 * more CPU per byte. Measured on a 1 MiB echo (unshaded grpc-netty on Netty 4.2.18
 * against 4.2.17, and 4.2.18 with its 4.2.17 flush put back): about 7 % more CPU per
 * round trip. grpc-netty-shaded 1.85.1 ships Netty 4.2.17, so stock gRPC does not pay it;
 * this handler takes it away from connections of our transport.
 *
 * <p>
 * It cannot livelock as netty#17256 did: it acts only while a flush is in the write loop,
 * where Netty's own reentrancy guard makes a nested flush only mark the new frames to be
 * written by the running loop, and only when the flow controller has frames pending.
 * Errors of the flow controller are left to the HTTP/2 handler, whose own flush meets
 * them again right after.
 */
final class WritableRefillHandler extends ChannelDuplexHandler {

	private boolean flushing;

	private @Nullable ChannelHandlerContext http2Context;

	/** Write loop passes started by the refills, for tests. */
	private long refills;

	@Override
	public void flush(ChannelHandlerContext ctx) {
		if (this.flushing) {
			ctx.flush();
			return;
		}
		this.flushing = true;
		try {
			ctx.flush();
		}
		finally {
			this.flushing = false;
		}
	}

	@Override
	public void channelWritabilityChanged(ChannelHandlerContext ctx) {
		if (this.flushing && ctx.channel().isWritable()) {
			refill(ctx);
		}
		ctx.fireChannelWritabilityChanged();
	}

	private void refill(ChannelHandlerContext ctx) {
		ChannelHandlerContext http2Context = this.http2Context;
		if (http2Context == null || http2Context.isRemoved()) {
			http2Context = ctx.pipeline().context(Http2ConnectionHandler.class);
			this.http2Context = http2Context;
			if (http2Context == null) {
				return;
			}
		}
		Http2ConnectionHandler http2 = (Http2ConnectionHandler) http2Context.handler();
		Http2RemoteFlowController flowController = http2.encoder().flowController();
		try {
			if (!hasPendingFrames(http2, flowController)) {
				return;
			}
			flowController.writePendingBytes();
		}
		catch (Http2Exception ex) {
			// The HTTP/2 handler's own flush, right after, meets it and closes as it
			// should.
			return;
		}
		this.refills++;
		// From the HTTP/2 handler towards the socket, through the record layer (ALTS
		// encrypts on flush): the running write loop takes what this adds.
		http2Context.flush();
	}

	private static boolean hasPendingFrames(Http2ConnectionHandler http2, Http2RemoteFlowController flowController)
			throws Http2Exception {
		return http2.connection().forEachActiveStream((stream) -> !flowController.hasFlowControlled(stream)) != null;
	}

	long refills() {
		return this.refills;
	}

}
