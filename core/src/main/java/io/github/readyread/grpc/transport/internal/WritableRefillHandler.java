package io.github.readyread.grpc.transport.internal;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
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
 *
 * <p>
 * A flush that has needed {@value #BULK_AFTER_REFILLS} refills is writing in bulk (a
 * message of hundreds of KiB, or many queued ones): for the rest of it the handler raises
 * the connection's write buffer water marks to {@link #BULK_WATER_MARK}, so the flow
 * controller hands the write loop up to 512 KiB at a time instead of 64 KiB: fewer
 * {@code writev} calls and flow controller passes per MiB. Measured on a 1 MiB echo
 * (plaintext, 3 alternated single-fork rounds against the handler without it): 983-1,135
 * against 891-979 ops/s, 1.16-1.36 against 1.39-1.52 ms of CPU and 76-77 against 128-129
 * system calls per round trip (stock gRPC 930-963, 1.39-1.45, 125-126). Raising the marks
 * for good does that too, but was measured to cost a server that streams 64 KiB messages
 * 20-30 % of its MB/s; such a stream does not need that many refills in one flush, so it
 * keeps Netty's marks (and its MB/s: 1,967-2,192 against 1,906-2,096 without bulk
 * writing). The bytes it queues are the frames the flow controller held already: bulk
 * writing moves them to the outbound buffer sooner, it does not add any. Once a flush
 * ends with the channel writable and its outbound buffer below Netty's low water mark,
 * the marks go back. Marks that were set on the channel (say through a server or channel
 * configurer) are left alone: only Netty's defaults are raised.
 */
final class WritableRefillHandler extends ChannelDuplexHandler {

	/** Refills in one flush after which it writes in bulk. */
	static final int BULK_AFTER_REFILLS = 3;

	/** Water marks while a flush writes in bulk. */
	static final WriteBufferWaterMark BULK_WATER_MARK = new WriteBufferWaterMark(256 * 1024, 512 * 1024);

	private boolean flushing;

	/**
	 * Whether the channel had Netty's default water marks, which this handler may raise.
	 */
	private boolean defaultMarks;

	private boolean bulk;

	/** Refills in the flush that is running. */
	private int flushRefills;

	/** Flushes that turned to bulk writing, for tests. */
	private long bulkFlushes;

	private @Nullable ChannelHandlerContext http2Context;

	/** Write loop passes started by the refills, for tests. */
	private long refills;

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		WriteBufferWaterMark marks = ctx.channel().config().getWriteBufferWaterMark();
		this.defaultMarks = marks.low() == WriteBufferWaterMark.DEFAULT.low()
				&& marks.high() == WriteBufferWaterMark.DEFAULT.high();
	}

	@Override
	public void flush(ChannelHandlerContext ctx) {
		if (this.flushing) {
			ctx.flush();
			return;
		}
		this.flushing = true;
		this.flushRefills = 0;
		try {
			ctx.flush();
		}
		finally {
			this.flushing = false;
			if (this.bulk) {
				endBulk(ctx);
			}
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
			if (this.defaultMarks && !this.bulk && ++this.flushRefills >= BULK_AFTER_REFILLS) {
				// Before the flow controller writes: it writes up to the high water mark.
				this.bulk = true;
				this.bulkFlushes++;
				ctx.channel().config().setWriteBufferWaterMark(BULK_WATER_MARK);
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

	/**
	 * Back to Netty's water marks once the channel is writable with its outbound buffer
	 * below their low mark: its writability then agrees with either. Otherwise a later
	 * flush that ends drained puts them back.
	 */
	private void endBulk(ChannelHandlerContext ctx) {
		ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
		boolean drained = outbound == null || outbound.totalPendingWriteBytes() < WriteBufferWaterMark.DEFAULT.low();
		if (!drained || !ctx.channel().isWritable()) {
			return;
		}
		this.bulk = false;
		ctx.channel().config().setWriteBufferWaterMark(WriteBufferWaterMark.DEFAULT);
	}

	long refills() {
		return this.refills;
	}

	long bulkFlushes() {
		return this.bulkFlushes;
	}

	boolean bulk() {
		return this.bulk;
	}

}
