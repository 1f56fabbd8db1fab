package io.github.readyread.grpc.buffer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PooledBufferAllocator}: which threads keep freed buffers in a cache of
 * their own, seen as allocations the arena still counts after the buffer's release.
 */
class PooledBufferAllocatorTests {

	@Test
	void onlyEventLoopThreadsCacheFreedBuffers() throws Exception {
		PooledBufferAllocator pool = pool(true);
		Thread application = new Thread(() -> pool.allocator().directBuffer(16 * 1024).release());
		application.start();
		application.join();
		assertThat(heldByTheArena(pool)).as("an application thread's freed buffer").isZero();
		onAnEventLoop(() -> {
			pool.allocator().directBuffer(16 * 1024).release();
			assertThat(heldByTheArena(pool)).as("an event loop's freed buffer, in its cache").isEqualTo(1);
			pool.trimCurrentThreadCache();
		});
	}

	@Test
	void withoutThreadCachesEventLoopsGiveFreedBuffersBackAtOnce() throws Exception {
		PooledBufferAllocator pool = pool(false);
		onAnEventLoop(() -> {
			pool.allocator().directBuffer(16 * 1024).release();
			assertThat(heldByTheArena(pool)).isZero();
		});
	}

	private static PooledBufferAllocator pool(boolean threadCaches) {
		return new PooledBufferAllocator(new PoolSettings(2 * 1024 * 1024, 1, threadCaches, Duration.ZERO, true));
	}

	private static long heldByTheArena(PooledBufferAllocator pool) {
		return pool.metric().directArenas().get(0).numActiveAllocations();
	}

	private static void onAnEventLoop(Runnable action) throws Exception {
		EventLoopGroup group = new DefaultEventLoopGroup(1);
		try {
			group.submit(action).get(10, TimeUnit.SECONDS);
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
		}
	}

}
