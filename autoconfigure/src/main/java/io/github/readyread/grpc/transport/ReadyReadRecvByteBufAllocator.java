package io.github.readyread.grpc.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Receive buffer allocator of one ready-read connection: each read takes a buffer sized
 * from the connection's {@link ReadDemand}, and only once the socket is readable.
 *
 * <p>
 * Netty's epoll and NIO read loops call {@code allocate} right before the read system
 * call, so a connection that waits for bytes holds no read buffer. The buffer is
 * {@link ReadDemand#readSize()} bytes, never 0 (a 0-byte read looks like EOF), and goes
 * back to the pool within the same event loop task once the decoders are done with it.
 *
 * <pre>
 *   readable -> allocate(readSize) -> read -> fireChannelRead -> released by the decoder
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
public final class ReadyReadRecvByteBufAllocator extends DefaultMaxMessagesRecvByteBufAllocator {

	private final ReadDemand demand;

	private final ReadPathStats stats;

	private final boolean oneReadPerWakeup;

	/**
	 * @param demand the connection's demand
	 * @param stats where read buffers are counted
	 * @param maxMessagesPerRead most reads per wakeup
	 * @param oneReadPerWakeup whether a wakeup reads once
	 */
	public ReadyReadRecvByteBufAllocator(ReadDemand demand, ReadPathStats stats, int maxMessagesPerRead,
			boolean oneReadPerWakeup) {
		super(maxMessagesPerRead);
		if (demand == null || stats == null) {
			throw new NullPointerException("demand and stats are required");
		}
		this.demand = demand;
		this.stats = stats;
		this.oneReadPerWakeup = oneReadPerWakeup;
	}

	public ReadDemand demand() {
		return this.demand;
	}

	public boolean oneReadPerWakeup() {
		return this.oneReadPerWakeup;
	}

	@Override
	public Handle newHandle() {
		return new ReadyReadHandle();
	}

	private final class ReadyReadHandle extends MaxMessageHandle {

		private int lastCapacity;

		@Override
		public int guess() {
			return ReadyReadRecvByteBufAllocator.this.demand.readSize();
		}

		@Override
		public ByteBuf allocate(ByteBufAllocator alloc) {
			int size = guess();
			ByteBuf buffer = alloc.ioBuffer(size, size);
			this.lastCapacity = buffer.capacity();
			ReadyReadRecvByteBufAllocator.this.stats.readBufferTaken(this.lastCapacity);
			return buffer;
		}

		@Override
		public void lastBytesRead(int bytes) {
			super.lastBytesRead(bytes);
			if (bytes <= 0) {
				// Netty releases a buffer nothing was read into.
				ReadyReadRecvByteBufAllocator.this.stats.readBufferReturned(this.lastCapacity);
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
