package io.github.readyread.grpc.transport;

import java.util.Map;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.WrappedByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringBufferRingAllocator;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import org.jspecify.annotations.Nullable;

/**
 * Everything that names Netty's io_uring classes, loaded only once io_uring is asked for
 * (the native jar is optional).
 */
final class IoUringSupport {

	private IoUringSupport() {
	}

	/**
	 * Why io_uring with provided buffer rings cannot run here, or {@code null} if it can.
	 * Without buffer rings Netty's io_uring submits each receive with a buffer taken
	 * before bytes arrive, which is exactly the waiting cost the read path removes.
	 */
	static @Nullable Throwable unavailabilityCause() {
		try {
			if (!IoUring.isAvailable()) {
				return IoUring.unavailabilityCause();
			}
			if (!IoUring.isRegisterBufferRingSupported()) {
				return new UnsupportedOperationException("kernel without provided buffer rings (Linux 5.19 or later)");
			}
			return null;
		}
		catch (LinkageError ex) {
			return new UnsupportedOperationException(
					"netty-transport-native-io_uring is not on the classpath (" + ex.getMessage() + ")", ex);
		}
	}

	/**
	 * Handlers of the worker loops: each registers a ring filled from {@code ring}'s
	 * pool.
	 */
	static IoHandlerFactory workerHandlers(ReadBufferRing ring, int loops) {
		boolean incremental = IoUring.isRegisterBufferRingIncSupported();
		IoUringBufferRingConfig config = IoUringBufferRingConfig.builder()
			.bufferGroupId(ReadBufferRing.BUFFER_GROUP_ID)
			.bufferRingSize((short) ring.entries())
			.batchSize(Math.max(2, ring.entries() / 2))
			.incremental(incremental)
			.allocator(new PoolRingAllocator(ring))
			.build();
		ring.started(loops, incremental);
		return IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setBufferRingConfig(config));
	}

	/** Handlers of the boss loop, which only accepts. */
	static IoHandlerFactory bossHandlers() {
		return IoUringIoHandler.newFactory();
	}

	static Map<ChannelOption<?>, Object> socketOptions() {
		return Map.of(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, ReadBufferRing.BUFFER_GROUP_ID);
	}

	static Class<? extends Channel> socketChannelType() {
		return IoUringSocketChannel.class;
	}

	static Class<? extends ServerChannel> serverChannelType() {
		return IoUringServerSocketChannel.class;
	}

	/** Takes ring buffers from the pool and counts them in and out of the ring. */
	private static final class PoolRingAllocator implements IoUringBufferRingAllocator {

		private final ReadBufferRing ring;

		/** Pool bytes one ring buffer takes: its size class, 0 until the first buffer. */
		private int footprint;

		PoolRingAllocator(ReadBufferRing ring) {
			this.ring = ring;
		}

		@Override
		public ByteBuf allocate() {
			int size = this.ring.bufferSize();
			if (this.footprint == 0) {
				this.footprint = footprint(this.ring.allocator(), size);
			}
			ByteBuf buffer = this.ring.allocator().directBuffer(size, size);
			this.ring.bufferProvided(this.footprint);
			return new RingBuffer(buffer, this.ring, this.footprint);
		}

		/**
		 * What a buffer of {@code size} takes from the pool: the pool serves it from a
		 * size class (33,000 bytes take 40 KiB), which a buffer of unbounded maximum
		 * capacity shows as its fast writable bytes.
		 */
		private static int footprint(ByteBufAllocator allocator, int size) {
			ByteBuf probe = allocator.directBuffer(size);
			try {
				return Math.max(size, probe.maxFastWritableBytes());
			}
			finally {
				probe.release();
			}
		}

		@Override
		public void lastBytesRead(int attempted, int actual) {
		}

	}

	/**
	 * A pool buffer while a ring holds it. The ring keeps this one reference and releases
	 * it once, when the buffer is filled or the ring closes; the slices it hands the read
	 * path retain the pool buffer underneath, not this.
	 */
	private static final class RingBuffer extends WrappedByteBuf {

		private final ReadBufferRing ring;

		private final int footprint;

		private boolean returned;

		RingBuffer(ByteBuf buffer, ReadBufferRing ring, int footprint) {
			super(buffer);
			this.ring = ring;
			this.footprint = footprint;
		}

		@Override
		public boolean release() {
			returned();
			return super.release();
		}

		@Override
		public boolean release(int decrement) {
			returned();
			return super.release(decrement);
		}

		private void returned() {
			if (!this.returned) {
				this.returned = true;
				this.ring.bufferReturned(this.footprint);
			}
		}

	}

}
