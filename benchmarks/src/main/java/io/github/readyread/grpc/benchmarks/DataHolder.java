package io.github.readyread.grpc.benchmarks;

import java.net.SocketAddress;
import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Handler of a stall-server connection where its HTTP/2 bytes are plaintext (first in the
 * pipeline on plaintext, behind the ALTS record layer on ALTS): once armed, lets a given
 * number of DATA payload bytes out (the gRPC message stream: 5-byte prefixes and
 * messages) and drops everything after them, so the client's stream stops at a chosen
 * offset of its messages, whatever the framing.
 *
 * <pre>
 *   server writes  [ HEADERS | DATA 16K | DATA 16K | DATA 16K ... ]
 *   on the wire    [ HEADERS | DATA 16K | DATA 16K | DATA header + 3.2K.. ]  then nothing
 *                              \_________ budget payload bytes _______/
 * </pre>
 *
 * It follows the frames of everything written, armed or not, to know where DATA payloads
 * are.
 */
final class DataHolder extends ChannelOutboundHandlerAdapter {

	private static final int FRAME_HEADER_LENGTH = 9;

	private final Map<SocketAddress, DataHolder> registry;

	private volatile long budget = -1;

	private final byte[] header = new byte[FRAME_HEADER_LENGTH];

	private int headerFill;

	private int payloadLeft;

	private boolean data;

	private boolean holding;

	/**
	 * @param registry where it registers under its connection's remote address while the
	 * connection is open
	 */
	DataHolder(Map<SocketAddress, DataHolder> registry) {
		this.registry = registry;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		SocketAddress remote = ctx.channel().remoteAddress();
		this.registry.put(remote, this);
		ctx.channel().closeFuture().addListener((future) -> this.registry.remove(remote));
	}

	/** Lets {@code payloadBytes} more DATA payload bytes out, then holds everything. */
	void arm(long payloadBytes) {
		if (payloadBytes < 0) {
			throw new IllegalArgumentException("payloadBytes must be zero or positive");
		}
		this.budget = payloadBytes;
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (!(msg instanceof ByteBuf buf)) {
			ctx.write(msg, promise);
			return;
		}
		int out = this.holding ? 0 : follow(buf);
		if (out == buf.readableBytes()) {
			ctx.write(buf, promise);
			return;
		}
		if (out == 0) {
			buf.release();
			promise.setSuccess();
			return;
		}
		ByteBuf head = buf.readRetainedSlice(out);
		buf.release();
		ctx.write(head, promise);
	}

	/**
	 * Follows the frames in {@code buf}; returns how many of its bytes go out (all of
	 * them, unless the budget ends inside it).
	 */
	private int follow(ByteBuf buf) {
		int base = buf.readerIndex();
		int length = buf.readableBytes();
		int position = 0;
		while (position < length) {
			if (this.headerFill < FRAME_HEADER_LENGTH) {
				int n = Math.min(FRAME_HEADER_LENGTH - this.headerFill, length - position);
				buf.getBytes(base + position, this.header, this.headerFill, n);
				this.headerFill += n;
				position += n;
				if (this.headerFill == FRAME_HEADER_LENGTH) {
					this.payloadLeft = ((this.header[0] & 0xFF) << 16) | ((this.header[1] & 0xFF) << 8)
							| (this.header[2] & 0xFF);
					this.data = this.header[3] == 0;
					this.headerFill = (this.payloadLeft == 0) ? 0 : FRAME_HEADER_LENGTH;
				}
				continue;
			}
			int n = Math.min(this.payloadLeft, length - position);
			long left = this.budget;
			if (this.data && left >= 0) {
				if (n > left) {
					this.holding = true;
					return position + (int) left;
				}
				this.budget = left - n;
			}
			position += n;
			this.payloadLeft -= n;
			if (this.payloadLeft == 0) {
				this.headerFill = 0;
			}
		}
		return length;
	}

}
