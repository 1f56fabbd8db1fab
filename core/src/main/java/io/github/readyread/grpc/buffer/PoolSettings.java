package io.github.readyread.grpc.buffer;

import java.time.Duration;

/**
 * Settings of the one shared {@link PooledBufferAllocator}.
 *
 * @param chunkSize bytes per pool chunk, a power-of-two multiple of the 8 KiB page
 * @param arenas number of direct and of heap arenas
 * @param threadCaches whether each event loop thread keeps a cache of recently freed
 * buffers
 * @param cacheTrimInterval how often event loops give idle cached buffers back to the
 * arenas, zero for never
 * @param preferDirect whether buffers are direct (off-heap) by default
 */
public record PoolSettings(int chunkSize, int arenas, boolean threadCaches, Duration cacheTrimInterval,
		boolean preferDirect) {

	/** Netty's page size; a chunk is a page shifted left by the max order. */
	public static final int PAGE_SIZE = 8192;

	private static final int MAX_ORDER = 14;

	/** Largest chunk, 128 MiB. */
	public static final int MAX_CHUNK_SIZE = PAGE_SIZE << MAX_ORDER;

	public PoolSettings {
		if (!isValidChunkSize(chunkSize)) {
			throw new IllegalArgumentException("Pool chunk size must be a power of two between " + PAGE_SIZE + " and "
					+ MAX_CHUNK_SIZE + " bytes, was " + chunkSize);
		}
		if (arenas < 1) {
			throw new IllegalArgumentException("Pool arenas must be at least 1, was " + arenas);
		}
		if (cacheTrimInterval == null || cacheTrimInterval.isNegative()) {
			throw new IllegalArgumentException("Pool cache trim interval must be zero or positive");
		}
	}

	/**
	 * Whether the pool can take chunks of this size: a power of two from
	 * {@link #PAGE_SIZE} to {@link #MAX_CHUNK_SIZE}.
	 * @param chunkSize bytes per chunk
	 * @return whether it is valid
	 */
	public static boolean isValidChunkSize(long chunkSize) {
		return chunkSize >= PAGE_SIZE && chunkSize <= MAX_CHUNK_SIZE && Long.bitCount(chunkSize) == 1;
	}

	/**
	 * Defaults: 2 MiB chunks (as grpc-java's own pool: gRPC's largest buffers, 1 MiB,
	 * still fit one, and the pool reserves less than with Netty's 4 MiB), one arena per
	 * core (at most 2 x cores), caches on, direct.
	 */
	public static PoolSettings defaults() {
		return new PoolSettings(2 * 1024 * 1024, Math.max(1, Runtime.getRuntime().availableProcessors()), true,
				Duration.ofSeconds(10), true);
	}

	int maxOrder() {
		return Integer.numberOfTrailingZeros(this.chunkSize / PAGE_SIZE);
	}

}
