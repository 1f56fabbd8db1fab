package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Receive buffer allocator of one ready-read connection: each read takes a buffer sized
 * from the connection's {@link ReadDemand}, and only once the socket is readable.
 *
 * <p>
 * Netty's epoll and NIO read loops call {@code allocate} right before the read system
 * call, so a connection that waits for bytes holds no read buffer. With
 * {@link ReadSizing#ADAPTIVE} the buffer is the size the connection's reads have shown
 * useful ({@link AdaptiveReadSize}: larger after reads that fill their buffer, smaller
 * after wakeups that bring less than half of one, up to
 * {@link ReadDemand#maxReadSize()}), and never less than {@link ReadDemand#readSize()},
 * what the frame being read still misses; the decoders copy what they keep, so the buffer
 * goes back to the pool within the read; its first {@link Http2FrameAligner#HEADROOM}
 * bytes are left free, for the header of the piece of a DATA frame the read starts with.
 * With {@link ReadSizing#EXACT} it is {@link ReadDemand#readSize()} bytes, never 0 (a
 * 0-byte read looks like EOF). When the decoder asks for an exact read
 * ({@link ReadDemand#awaitFrameRest}: the rest of a large ALTS record and the next
 * header, or a header alone while such records flow), it is that size after the headroom,
 * even past the largest read. Either way the decoders are done with it within the same
 * event loop task.
 *
 * <pre>
 *   readable -> allocate(readSize) -> read -> fireChannelRead -> released by the decoders
 *                  taken                                 done: next allocate or readComplete
 * </pre>
 *
 * <p>
 * With {@code oneReadPerWakeup} (used on epoll together with {@code SO_RCVLOWAT}) a
 * wakeup reads once: the demand then changes, and the kernel is asked for the new number
 * of missing bytes before the next read, so the head of an incomplete frame stays in the
 * kernel instead of being read and copied. Netty's epoll handle keeps reading after
 * {@code EPOLLRDHUP} whatever this says, so EOF is always seen. Otherwise the usual
 * {@code maxMessagesPerRead} limit and "last read filled its buffer" rule apply.
 */
final class ReadyReadRecvByteBufAllocator extends DefaultMaxMessagesRecvByteBufAllocator {

	private final ReadDemand demand;

	private final ReadPathStats stats;

	private final boolean oneReadPerWakeup;

	private final ReadSizing sizing;

	/**
	 * An allocator of {@link ReadSizing#EXACT} reads.
	 * @param demand the connection's demand
	 * @param stats where read buffers are counted
	 * @param maxMessagesPerRead most reads per wakeup
	 * @param oneReadPerWakeup whether a wakeup reads once
	 */
	ReadyReadRecvByteBufAllocator(ReadDemand demand, ReadPathStats stats, int maxMessagesPerRead,
			boolean oneReadPerWakeup) {
		this(demand, stats, maxMessagesPerRead, ReadSizing.EXACT, oneReadPerWakeup);
	}

	/**
	 * An allocator of reads sized as {@code sizing} says.
	 * @param demand the connection's demand
	 * @param stats where read buffers are counted
	 * @param maxMessagesPerRead most reads per wakeup
	 * @param sizing how large reads are
	 * @param oneReadPerWakeup whether a wakeup reads once ({@link ReadSizing#EXACT} on
	 * epoll)
	 */
	ReadyReadRecvByteBufAllocator(ReadDemand demand, ReadPathStats stats, int maxMessagesPerRead, ReadSizing sizing,
			boolean oneReadPerWakeup) {
		super(maxMessagesPerRead);
		if (demand == null || stats == null || sizing == null) {
			throw new NullPointerException("demand, stats and sizing are required");
		}
		this.demand = demand;
		this.stats = stats;
		this.sizing = sizing;
		this.oneReadPerWakeup = oneReadPerWakeup;
	}

	ReadSizing sizing() {
		return this.sizing;
	}

	ReadDemand demand() {
		return this.demand;
	}

	boolean oneReadPerWakeup() {
		return this.oneReadPerWakeup;
	}

	@Override
	public Handle newHandle() {
		return new ReadyReadHandle();
	}

	/**
	 * Counts each read buffer taken and, exactly once, done with. Netty's read loops
	 * (epoll and NIO, Netty 4.2) release a buffer themselves when nothing was read into
	 * it, after {@code lastBytesRead(0 or -1)}, or when the read failed (a reset, say),
	 * without {@code lastBytesRead}; a buffer with bytes goes down the pipeline. Every
	 * loop then calls {@code allocate} again or ends with {@code readComplete}, whatever
	 * happened, so the buffer outstanding is settled there.
	 */
	private final class ReadyReadHandle extends MaxMessageHandle {

		/** Capacity of the read buffer taken and not settled yet, or -1. */
		private int outstanding = -1;

		/** What reads have returned, {@code null} for {@link ReadSizing#EXACT}. */
		private final @Nullable AdaptiveReadSize adaptive = (ReadyReadRecvByteBufAllocator.this.sizing == ReadSizing.ADAPTIVE)
				? new AdaptiveReadSize(ReadyReadRecvByteBufAllocator.this.demand.maxReadSize()) : null;

		@Override
		public int guess() {
			ReadDemand demand = ReadyReadRecvByteBufAllocator.this.demand;
			if (demand.awaitsFrameRest()) {
				return demand.readSize();
			}
			return (this.adaptive != null) ? Math.max(this.adaptive.size(), demand.readSize()) : demand.readSize();
		}

		@Override
		public ByteBuf allocate(ByteBufAllocator alloc) {
			settle();
			int size = guess();
			ByteBuf buffer;
			if (ReadyReadRecvByteBufAllocator.this.demand.awaitsFrameRest()) {
				// The rest of a large frame and the next header (or a header alone): a
				// buffer of their size, even past the largest read (the frame's own
				// buffer once whole, not a copy).
				int capacity = size + Http2FrameAligner.HEADROOM;
				buffer = alloc.ioBuffer(capacity, capacity);
				buffer.setIndex(Http2FrameAligner.HEADROOM, Http2FrameAligner.HEADROOM);
			}
			else if (this.adaptive != null && size > 2 * Http2FrameAligner.HEADROOM) {
				// A read sized to what the frame misses takes all of it after the
				// headroom (within the largest read); one of the learned size keeps to
				// that size (a size class of the pool).
				int capacity = (size > this.adaptive.size()) ? Math.min(size + Http2FrameAligner.HEADROOM,
						ReadyReadRecvByteBufAllocator.this.demand.maxReadSize()) : size;
				buffer = alloc.ioBuffer(capacity, capacity);
				buffer.setIndex(Http2FrameAligner.HEADROOM, Http2FrameAligner.HEADROOM);
			}
			else {
				buffer = alloc.ioBuffer(size, size);
			}
			this.outstanding = buffer.capacity();
			ReadyReadRecvByteBufAllocator.this.stats.readBufferTaken(this.outstanding);
			return buffer;
		}

		@Override
		public void lastBytesRead(int bytes) {
			super.lastBytesRead(bytes);
			if (bytes <= 0) {
				// Netty releases a buffer nothing was read into.
				settle();
			}
			else if (this.adaptive != null && bytes == attemptedBytesRead()) {
				this.adaptive.readFilled(bytes);
			}
		}

		@Override
		public void readComplete() {
			settle();
			if (this.adaptive != null) {
				this.adaptive.wakeupRead(totalBytesRead());
			}
			super.readComplete();
		}

		private void settle() {
			if (this.outstanding >= 0) {
				ReadyReadRecvByteBufAllocator.this.stats.readBufferDone(this.outstanding);
				this.outstanding = -1;
			}
		}

		@Override
		public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
			if (ReadyReadRecvByteBufAllocator.this.oneReadPerWakeup && lastBytesRead() > 0) {
				return false;
			}
			return super.continueReading(maybeMoreDataSupplier);
		}

	}

}
