package io.github.readyread.grpc.benchmarks;

import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Hands out its delegate's buffers and counts the capacity asked for: the bytes a
 * channel's pipeline takes from its pool (read buffers, decrypted records, copies, write
 * buffers). Unshaded Netty; {@link ShadedCountingAllocator} is the same for stock
 * grpc-java.
 */
final class CountingAllocator extends AbstractByteBufAllocator {

	private final ByteBufAllocator delegate;

	private final LongAdder bytes;

	CountingAllocator(ByteBufAllocator delegate, LongAdder bytes) {
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
