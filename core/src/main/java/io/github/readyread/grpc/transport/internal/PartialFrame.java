package io.github.readyread.grpc.transport.internal;

import java.util.ArrayList;
import java.util.List;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The bytes of one incomplete frame, copied out of the read buffers that carried them.
 *
 * <p>
 * Each arrival is copied into a pooled buffer sized to exactly those bytes, so a waiting
 * connection pins what it holds and never a retained slice of a larger read buffer. Many
 * small arrivals are merged now and then so a trickling peer cannot make the copy work
 * grow with the square of the frame size by much.
 *
 * <pre>
 *   read buffer  [ complete frames ... | head of next frame ]  -> released at once
 *                                        \_ copied here, exact size
 * </pre>
 */
public final class PartialFrame {

	private static final int MERGE_THRESHOLD = 32;

	private final ByteBufAllocator allocator;

	private final ReadPathStats stats;

	private final List<ByteBuf> parts = new ArrayList<>(2);

	private int readableBytes;

	private int heldCapacity;

	private boolean released;

	public PartialFrame(ByteBufAllocator allocator, ReadPathStats stats) {
		if (allocator == null || stats == null) {
			throw new NullPointerException("allocator and stats are required");
		}
		this.allocator = allocator;
		this.stats = stats;
	}

	/** Bytes held. */
	public int readableBytes() {
		return this.readableBytes;
	}

	public boolean isEmpty() {
		return this.readableBytes == 0;
	}

	/**
	 * Copies {@code length} bytes from {@code source}, advancing its reader index.
	 */
	public void append(ByteBuf source, int length) {
		checkNotReleased();
		if (length <= 0) {
			return;
		}
		ByteBuf copy = this.allocator.buffer(length, length);
		copy.writeBytes(source, length);
		add(copy);
		if (this.parts.size() >= MERGE_THRESHOLD) {
			compact();
		}
	}

	/**
	 * Hands over every held byte as one buffer of exactly that size; the caller releases
	 * it. Leaves this empty.
	 */
	public ByteBuf take() {
		checkNotReleased();
		if (this.parts.isEmpty()) {
			return this.allocator.buffer(0, 0);
		}
		return mergeAll();
	}

	/**
	 * Hands over every held byte followed by the last {@code length} bytes of the frame,
	 * read from {@code source}, as one buffer of exactly that size: those last bytes are
	 * copied once, into it. The caller releases it. Leaves this empty.
	 */
	public ByteBuf takeWith(ByteBuf source, int length) {
		checkNotReleased();
		if (length <= 0) {
			return take();
		}
		int size = this.readableBytes + length;
		ByteBuf whole = copyParts(size);
		whole.writeBytes(source, length);
		clear(true);
		return whole;
	}

	/** Releases every held byte; safe to call more than once. */
	public void release() {
		if (this.released) {
			return;
		}
		this.released = true;
		clear(true);
	}

	private ByteBuf mergeAll() {
		if (this.parts.size() == 1) {
			ByteBuf only = this.parts.get(0);
			clear(false);
			return only;
		}
		ByteBuf merged = copyParts(this.readableBytes);
		clear(true);
		return merged;
	}

	/**
	 * Copies the held parts into one part of exactly their size: the same frame, still
	 * held (neither ended nor started again in the figures).
	 */
	private void compact() {
		ByteBuf merged = copyParts(this.readableBytes);
		for (ByteBuf part : this.parts) {
			part.release();
		}
		this.parts.clear();
		this.parts.add(merged);
		this.stats.incompleteBytesRemoved(this.readableBytes, this.heldCapacity);
		this.heldCapacity = merged.capacity();
		this.stats.incompleteBytesAdded(this.readableBytes, this.heldCapacity);
	}

	/**
	 * A buffer of exactly {@code capacity} bytes holding a copy of every held byte, the
	 * parts left as they are.
	 */
	private ByteBuf copyParts(int capacity) {
		ByteBuf copy = this.allocator.buffer(capacity, capacity);
		for (ByteBuf part : this.parts) {
			copy.writeBytes(part, part.readerIndex(), part.readableBytes());
		}
		return copy;
	}

	private void add(ByteBuf part) {
		if (this.readableBytes == 0) {
			this.stats.incompleteFrameStarted();
		}
		this.parts.add(part);
		this.readableBytes += part.readableBytes();
		this.heldCapacity += part.capacity();
		this.stats.incompleteBytesAdded(part.readableBytes(), part.capacity());
	}

	private void clear(boolean releaseParts) {
		if (this.readableBytes > 0) {
			this.stats.incompleteFrameEnded();
		}
		this.stats.incompleteBytesRemoved(this.readableBytes, this.heldCapacity);
		if (releaseParts) {
			for (ByteBuf part : this.parts) {
				part.release();
			}
		}
		this.parts.clear();
		this.readableBytes = 0;
		this.heldCapacity = 0;
	}

	private void checkNotReleased() {
		if (this.released) {
			throw new IllegalStateException("PartialFrame already released");
		}
	}

}
