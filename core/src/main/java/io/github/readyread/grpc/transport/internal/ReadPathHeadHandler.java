package io.github.readyread.grpc.transport.internal;

import java.util.Objects;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.WrappedByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;
import org.jspecify.annotations.Nullable;

/**
 * First inbound handler of a connection: counts the bytes read from the socket (the one
 * owner of that figure) and, on a ready-read epoll connection, keeps the socket's receive
 * low-water mark ({@code SO_RCVLOWAT}) in step with the bytes the read path still misses.
 *
 * <pre>
 *   socket -> [ReadPathHeadHandler] -> [outermost decoder] -> ... -> grpc
 *                 bytesRead += read; after each read batch: SO_RCVLOWAT = min(missing, rcvbuf / 2)
 *                 (ADAPTIVE: raised only when the peer trickles inside one frame)
 * </pre>
 *
 * <p>
 * On io_uring the kernel picks the read buffer from the event loop's shared ring, so no
 * receive allocator is asked: this handler counts each ring buffer slice as a read buffer
 * taken, and done with once the pipeline returns (the decoders copy what they keep), and
 * counts the ring's exhaustion events.
 *
 * <p>
 * On the conventional read path it only counts ({@link #countingOnly}).
 *
 * <p>
 * Netty 4.2 epoll is level-triggered, so once the mark is set the channel wakes only when
 * the missing bytes (or EOF, or an error) are there, and the bytes of an incomplete frame
 * wait in the kernel rather than in the pool. The mark is never above the bytes still
 * missing, so bytes already queued are never stranded; the kernel may still wake early
 * (small window, memory pressure), which the decoders handle like any partial read. The
 * system call is made only when the value changes. EOF and RST wake the channel whatever
 * the mark.
 *
 * <p>
 * With {@link ReadSizing#EXACT} the mark is always the bytes missing: about one
 * {@code setsockopt} per frame while streaming, and the tail of a stalled frame stays in
 * the kernel. With {@link ReadSizing#ADAPTIVE} it is raised only when a read batch
 * brought fewer bytes than the frame awaited after the previous batch missed (a peer that
 * trickles inside one frame), and otherwise only lowered when it exceeds what is missing:
 * a streaming connection makes no {@code setsockopt} at all. The mark is at most half the
 * receive buffer, read when the connection first reads and again when the rest of a large
 * frame ({@link ReadDemand#awaitFrameRest}) is longer than that (the buffer grows as the
 * connection streams).
 */
final class ReadPathHeadHandler extends ChannelInboundHandlerAdapter {

	/** Linux {@code SO_RCVLOWAT} ({@code SOL_SOCKET} = 1, option 18). */
	public static final IntegerUnixChannelOption SO_RCVLOWAT = new IntegerUnixChannelOption("SO_RCVLOWAT", 1, 18);

	private static final String RING_EXHAUSTED_EVENT = "io.netty.channel.uring.IoUringBufferRingExhaustedEvent";

	private final @Nullable ReadDemand demand;

	private final ReadPathStats stats;

	private final boolean lowWaterMark;

	private final boolean ringReads;

	private int mark = 1;

	private int markCap = -1;

	private long markChanges;

	private final boolean onlyForTrickles;

	/** Bytes read since the last read batch ended. */
	private long batchBytes;

	/** Bytes missing when the last read batch ended. */
	private int lastMissing;

	/**
	 * A head handler of {@link ReadSizing#EXACT} reads.
	 * @param demand the connection's demand
	 * @param stats where bytes read are counted
	 * @param lowWaterMark whether to keep {@code SO_RCVLOWAT} at the missing bytes (epoll
	 * socket channels only)
	 */
	ReadPathHeadHandler(ReadDemand demand, ReadPathStats stats, boolean lowWaterMark) {
		this(demand, stats, ReadSizing.EXACT, lowWaterMark);
	}

	/**
	 * A head handler of a connection that does not read into io_uring ring buffers.
	 * @param demand the connection's demand
	 * @param stats where bytes read are counted
	 * @param sizing how large reads are, which decides when the mark is raised
	 * @param lowWaterMark whether to use {@code SO_RCVLOWAT} (epoll socket channels only)
	 */
	ReadPathHeadHandler(ReadDemand demand, ReadPathStats stats, ReadSizing sizing, boolean lowWaterMark) {
		this(demand, stats, sizing, lowWaterMark, false);
	}

	/**
	 * A head handler of a connection on the ready read path.
	 * @param demand the connection's demand
	 * @param stats where bytes read are counted
	 * @param sizing how large reads are, which decides when the mark is raised
	 * @param lowWaterMark whether to use {@code SO_RCVLOWAT} (epoll socket channels only)
	 * @param ringReads whether reads arrive in io_uring ring buffer slices, counted here
	 * as read buffers taken and, once the pipeline returns, done with
	 */
	ReadPathHeadHandler(ReadDemand demand, ReadPathStats stats, ReadSizing sizing, boolean lowWaterMark,
			boolean ringReads) {
		if (demand == null || stats == null || sizing == null) {
			throw new NullPointerException("demand, stats and sizing are required");
		}
		this.demand = demand;
		this.stats = stats;
		this.lowWaterMark = lowWaterMark;
		this.onlyForTrickles = sizing == ReadSizing.ADAPTIVE;
		this.ringReads = ringReads;
	}

	private ReadPathHeadHandler(ReadPathStats stats) {
		if (stats == null) {
			throw new NullPointerException("stats is required");
		}
		this.demand = null;
		this.stats = stats;
		this.lowWaterMark = false;
		this.onlyForTrickles = false;
		this.ringReads = false;
	}

	/**
	 * A head handler for a connection on the conventional read path, which has no demand:
	 * it counts the bytes read and nothing else.
	 * @param stats where bytes read are counted
	 * @return the handler
	 */
	static ReadPathHeadHandler countingOnly(ReadPathStats stats) {
		return new ReadPathHeadHandler(stats);
	}

	/** The low-water mark last set, 1 (the kernel default) until one is set. */
	int lowWaterMark() {
		return this.mark;
	}

	/** How many times the mark was changed with a system call. */
	long lowWaterMarkChanges() {
		return this.markChanges;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf buffer)) {
			ctx.fireChannelRead(msg);
			return;
		}
		int bytes = buffer.readableBytes();
		this.stats.bytesRead(bytes);
		this.batchBytes += bytes;
		boolean ringSlice = this.ringReads && isSlice(buffer);
		if (ringSlice) {
			this.stats.readBufferTaken(bytes);
		}
		try {
			ctx.fireChannelRead(msg);
		}
		finally {
			if (ringSlice) {
				this.stats.readBufferDone(bytes);
			}
		}
	}

	/**
	 * Whether a buffer is a ring slice: Netty's io_uring hands out retained slices of
	 * ring buffers, where a receive without the ring hands out the buffer the allocator
	 * counted itself. Leak detection may wrap either (it wraps every buffer at the
	 * paranoid level), so its wrappers are looked through first.
	 */
	static boolean isSlice(ByteBuf buffer) {
		ByteBuf unwrapped = buffer;
		while (unwrapped instanceof WrappedByteBuf) {
			ByteBuf inner = unwrapped.unwrap();
			if (inner == null) {
				return false;
			}
			unwrapped = inner;
		}
		return unwrapped.unwrap() != null;
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
		if (RING_EXHAUSTED_EVENT.equals(evt.getClass().getName())) {
			this.stats.ringExhausted();
		}
		ctx.fireUserEventTriggered(evt);
	}

	@Override
	public void channelReadComplete(ChannelHandlerContext ctx) {
		if (this.lowWaterMark) {
			updateLowWaterMark(ctx.channel());
		}
		ctx.fireChannelReadComplete();
	}

	/**
	 * Half the socket's receive buffer now: the highest mark the kernel always reaches.
	 */
	private static int halfReceiveBuffer(Channel channel) {
		Integer receiveBuffer = channel.config().getOption(ChannelOption.SO_RCVBUF);
		return ((receiveBuffer != null) ? receiveBuffer : 65536) / 2;
	}

	private void updateLowWaterMark(Channel channel) {
		if (!channel.isActive()) {
			return;
		}
		if (this.markCap < 0) {
			this.markCap = Math.max(1, halfReceiveBuffer(channel));
		}
		ReadDemand demand = Objects.requireNonNull(this.demand, "demand");
		int missing = demand.missingBytes();
		boolean raise = true;
		if (this.onlyForTrickles) {
			// The frame (or header) awaited after the last batch is still incomplete: the
			// peer trickles, so the rest waits in the kernel until it is all there.
			raise = this.batchBytes < this.lastMissing;
			this.batchBytes = 0;
			this.lastMissing = missing;
		}
		int wanted;
		if (raise) {
			if (missing > this.markCap && demand.awaitsFrameRest()) {
				// A large frame's rest may exceed half of what the receive buffer was at
				// first. The buffer grows as the connection streams; a mark up to half
				// of it is always reached.
				this.markCap = Math.max(this.markCap, halfReceiveBuffer(channel));
			}
			wanted = Math.max(1, Math.min(missing, this.markCap));
		}
		else {
			// Never above what is missing (bytes would be stranded), else unchanged.
			wanted = (this.mark <= missing) ? this.mark : 1;
		}
		if (wanted == this.mark) {
			return;
		}
		try {
			if (channel.config().setOption(SO_RCVLOWAT, wanted)) {
				this.mark = wanted;
				this.markChanges++;
			}
		}
		catch (ChannelException ex) {
			// The socket is closing; its close is reported elsewhere.
		}
	}

}
