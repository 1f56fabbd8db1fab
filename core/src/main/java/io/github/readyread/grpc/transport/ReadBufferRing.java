package io.github.readyread.grpc.transport;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.ByteBufAllocator;

/**
 * The provided buffer rings an io_uring transport receives into: one per worker event
 * loop, shared by every connection of that loop, its buffers taken from the one pool.
 *
 * <pre>
 *   pool --allocate--> [ ring of entries x bufferSize ] --kernel picks one when bytes arrive--> recv completion
 *     ^                      ^ refilled from the pool                                             | slice
 *     |                                                                                           v
 *     +---- released once the ring is done with it and the read path released its slice --- read path
 * </pre>
 *
 * <p>
 * A connection that waits owns no ring buffer: the kernel selects one only when bytes
 * arrive, and the read path copies what it keeps (an incomplete frame, a DATA frame for
 * gRPC) into exact-size buffers and releases the slice within the same read. With
 * incremental consumption one buffer serves many receives, of one connection or several.
 *
 * <p>
 * Counts the buffers it gives the rings and those the rings give back (filled, or at
 * close), so the bytes the rings hold can be told apart from what connections pin. The
 * rings themselves are Netty's ({@code IoUringBufferRingConfig}); nothing here refers to
 * io_uring classes, so it loads where they are absent.
 */
public final class ReadBufferRing {

	/** Buffer group id of the ring, on every io_uring socket channel. */
	public static final short BUFFER_GROUP_ID = 0;

	/** Buffers per ring unless configured. */
	public static final int DEFAULT_ENTRIES = 16;

	/** Bytes per ring buffer unless configured. */
	public static final int DEFAULT_BUFFER_SIZE = 32 * 1024;

	private final ByteBufAllocator allocator;

	private final int entries;

	private final int bufferSize;

	private final LongAdder provided = new LongAdder();

	private final LongAdder returned = new LongAdder();

	private final AtomicLong bytesInRings = new AtomicLong();

	private volatile boolean incremental;

	private volatile int rings;

	/**
	 * Rings of {@code entries} buffers of {@code bufferSize} bytes, one per worker loop.
	 * @param allocator the pool ring buffers are taken from
	 * @param entries buffers per ring, a power of two between 2 and 16384
	 * @param bufferSize bytes per buffer, at least 1024
	 */
	public ReadBufferRing(ByteBufAllocator allocator, int entries, int bufferSize) {
		if (allocator == null) {
			throw new NullPointerException("allocator is required");
		}
		if (!isValidEntries(entries)) {
			throw new IllegalArgumentException(
					"Ring entries must be a power of two between 2 and 16384, was " + entries);
		}
		if (bufferSize < 1024) {
			throw new IllegalArgumentException("Ring buffer size must be at least 1024 bytes, was " + bufferSize);
		}
		this.allocator = allocator;
		this.entries = entries;
		this.bufferSize = bufferSize;
	}

	/**
	 * Whether a ring can have this many buffers: a power of two from 2 to 16384.
	 * @param entries buffers per ring
	 * @return whether it is valid
	 */
	public static boolean isValidEntries(int entries) {
		return entries >= 2 && entries <= 16384 && Integer.bitCount(entries) == 1;
	}

	/** A ring of the default size on {@code allocator}. */
	public static ReadBufferRing defaults(ByteBufAllocator allocator) {
		return new ReadBufferRing(allocator, DEFAULT_ENTRIES, DEFAULT_BUFFER_SIZE);
	}

	public ByteBufAllocator allocator() {
		return this.allocator;
	}

	/** Buffers per ring at most (a ring starts with half and grows when exhausted). */
	public int entries() {
		return this.entries;
	}

	public int bufferSize() {
		return this.bufferSize;
	}

	/** Whether the kernel consumes ring buffers incrementally (many receives each). */
	public boolean incremental() {
		return this.incremental;
	}

	/**
	 * Rings configured: one per worker event loop, each registered with the kernel as its
	 * loop starts (on its first channel); 0 until the io_uring transport is built.
	 */
	public int rings() {
		return this.rings;
	}

	/** Buffers the rings hold now, waiting for the kernel to fill them. */
	public long buffersInRings() {
		// Returned first: a buffer is provided before it is returned, so read in this
		// order the difference is never negative while other threads count.
		long returned = this.returned.sum();
		return this.provided.sum() - returned;
	}

	/** Pool bytes the rings hold now (each buffer's size class in the pool). */
	public long bytesInRings() {
		return this.bytesInRings.get();
	}

	/** Buffers the rings gave back so far: filled by the kernel (or left at close). */
	public long buffersReturned() {
		return this.returned.sum();
	}

	void started(int rings, boolean incremental) {
		this.rings = rings;
		this.incremental = incremental;
	}

	void bufferProvided(int capacity) {
		this.provided.increment();
		this.bytesInRings.addAndGet(capacity);
	}

	void bufferReturned(int capacity) {
		this.returned.increment();
		this.bytesInRings.addAndGet(-capacity);
	}

}
