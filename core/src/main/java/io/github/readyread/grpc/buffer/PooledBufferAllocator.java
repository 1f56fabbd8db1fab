package io.github.readyread.grpc.buffer;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;

/**
 * The one pool every gRPC channel and server of an application takes its buffers from.
 *
 * <p>
 * Wraps Netty's {@link PooledByteBufAllocator} and exposes the figures the read path is
 * judged by: bytes <em>reserved</em> (held by the pool's arenas, in use or not) and bytes
 * <em>pinned</em> (handed out and not yet released).
 */
public final class PooledBufferAllocator {

	private final PooledByteBufAllocator allocator;

	private final PoolSettings settings;

	public PooledBufferAllocator(PoolSettings settings) {
		this.settings = settings;
		int cache = settings.threadCaches() ? PooledByteBufAllocator.defaultSmallCacheSize() : 0;
		int normalCache = settings.threadCaches() ? PooledByteBufAllocator.defaultNormalCacheSize() : 0;
		// Caches on event loop threads only, as Netty's default: another thread taking
		// buffers (the application's, serializing a message) would keep what it freed in
		// a cache of its own, which the event loops' cache trim never reaches.
		this.allocator = new PooledByteBufAllocator(settings.preferDirect(), settings.arenas(), settings.arenas(),
				PoolSettings.PAGE_SIZE, settings.maxOrder(), cache, normalCache, false, 0);
	}

	/** The Netty allocator to set as {@code ChannelOption.ALLOCATOR}. */
	public ByteBufAllocator allocator() {
		return this.allocator;
	}

	/** The Netty allocator itself, for metrics binders. */
	public PooledByteBufAllocator nettyAllocator() {
		return this.allocator;
	}

	public PoolSettings settings() {
		return this.settings;
	}

	public PooledByteBufAllocatorMetric metric() {
		return this.allocator.metric();
	}

	/** Direct bytes the pool holds from the system, whether handed out or not. */
	public long reservedDirectBytes() {
		return this.allocator.metric().usedDirectMemory();
	}

	/** Heap bytes the pool holds from the system, whether handed out or not. */
	public long reservedHeapBytes() {
		return this.allocator.metric().usedHeapMemory();
	}

	/** Direct bytes handed out in buffers that are not released yet. */
	public long pinnedDirectBytes() {
		return this.allocator.pinnedDirectMemory();
	}

	/** Heap bytes handed out in buffers that are not released yet. */
	public long pinnedHeapBytes() {
		return this.allocator.pinnedHeapMemory();
	}

	/** Gives the calling thread's cached buffers back to the arenas. */
	public boolean trimCurrentThreadCache() {
		return this.allocator.trimCurrentThreadCache();
	}

}
