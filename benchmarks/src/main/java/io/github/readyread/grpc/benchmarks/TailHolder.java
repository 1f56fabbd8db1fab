package io.github.readyread.grpc.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * First handler of a stall-server connection (next to the socket): once armed, lets a
 * given number of bytes out and drops the rest, so the client sees its stream stop inside
 * a frame.
 *
 * <pre>
 *   server writes  [ HEADERS | DATA 16K | DATA 16K ... ]
 *   on the wire    [ HEADERS | DATA 16K | DATA 3.6K.. ]  then nothing (TCP stays open)
 *                  \______ budget bytes ______/
 * </pre>
 *
 * It is the stalling relay of the plan moved into the server: the bytes on the wire are
 * the same, and it costs no extra sockets (the fd limit here is 20,000 per process).
 */
final class TailHolder extends ChannelOutboundHandlerAdapter {

	private volatile long budget = -1;

	/** Lets {@code bytes} more bytes out, then holds everything. */
	void arm(long bytes) {
		if (bytes < 0) {
			throw new IllegalArgumentException("bytes must be zero or positive");
		}
		this.budget = bytes;
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		long left = this.budget;
		if (left < 0 || !(msg instanceof ByteBuf buf)) {
			ctx.write(msg, promise);
			return;
		}
		int size = buf.readableBytes();
		if (size <= left) {
			this.budget = left - size;
			ctx.write(buf, promise);
			return;
		}
		this.budget = 0;
		if (left == 0) {
			buf.release();
			promise.setSuccess();
			return;
		}
		ByteBuf head = buf.readRetainedSlice((int) left);
		buf.release();
		ctx.write(head, promise);
	}

}
