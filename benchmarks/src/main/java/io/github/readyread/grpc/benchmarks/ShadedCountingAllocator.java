package io.github.readyread.grpc.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import io.grpc.netty.shaded.io.netty.buffer.AbstractByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;

/**
 * {@link CountingAllocator} on grpc-netty-shaded's Netty, for stock grpc-java.
 */
final class ShadedCountingAllocator extends AbstractByteBufAllocator {

	private final ByteBufAllocator delegate;

	private final LongAdder bytes;

	ShadedCountingAllocator(ByteBufAllocator delegate, LongAdder bytes) {
		super(true);
		this.delegate = delegate;
		this.bytes = bytes;
	}

	@Override
	protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
		this.bytes.add(initialCapacity);
		return this.delegate.heapBuffer(initialCapacity, maxCapacity);
	}

	@Override
	protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
		this.bytes.add(initialCapacity);
		return this.delegate.directBuffer(initialCapacity, maxCapacity);
	}

	@Override
	public boolean isDirectBufferPooled() {
		return true;
	}

}
