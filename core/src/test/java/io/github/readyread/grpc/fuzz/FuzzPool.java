package io.github.readyread.grpc.fuzz;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.PooledByteBufAllocator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one pool of a fuzzing process, and the leak check every input ends with.
 *
 * <p>
 * A pool per input grows the process by its chunks until the garbage collector frees them
 * (the fuzzer reports that as running out of memory). While fuzzing, leak detection runs
 * at SIMPLE (the {@code fuzz} profile): the pool's own figures catch a leak at the input
 * that caused it, and the normal test run replays every committed input at PARANOID.
 */
final class FuzzPool {

	/** Thread caches for the fuzzer's thread too, as an event loop has them. */
	static final PooledByteBufAllocator ALLOC = new PooledByteBufAllocator(true,
			PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
			PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
			PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), true);

	private FuzzPool() {
	}

	/** Fails if a buffer of the pool is still in use or a decoder still holds bytes. */
	static void assertNothingHeld(ReadPathStats stats) {
		assertThat(ALLOC.pinnedDirectMemory()).as("direct bytes pinned after the input").isZero();
		assertThat(ALLOC.pinnedHeapMemory()).as("heap bytes pinned after the input").isZero();
		assertThat(stats.incompleteBytes()).as("incomplete-frame bytes held after the input").isZero();
		assertThat(stats.incompletePinnedBytes()).as("incomplete-frame bytes pinned after the input").isZero();
	}

}
