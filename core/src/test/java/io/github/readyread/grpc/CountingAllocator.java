package io.github.readyread.grpc;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * An allocator that counts the capacity of every buffer taken through it, then takes it
 * from its delegate: what a decoder copies or allocates, as a test sees it.
 */
public final class CountingAllocator extends AbstractByteBufAllocator {

	private final ByteBufAllocator delegate;

	private long taken;

	public CountingAllocator(ByteBufAllocator delegate) {
		super(true);
		this.delegate = delegate;
	}

	/** Capacity of the buffers taken since this was made or last reset. */
	public long taken() {
		return this.taken;
	}

	/** Starts counting again from 0. */
	public void reset() {
		this.taken = 0;
	}

	@Override
	protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
		this.taken += initialCapacity;
		return this.delegate.heapBuffer(initialCapacity, maxCapacity);
	}

	@Override
	protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
		this.taken += initialCapacity;
		return this.delegate.directBuffer(initialCapacity, maxCapacity);
	}

	@Override
	public boolean isDirectBufferPooled() {
		return true;
	}

}
