package io.github.readyread.grpc.transport;

import java.time.Duration;

import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ReadBufferRing}'s figures against the pool's own: with no connection, the only
 * pool bytes pinned are the rings' buffers, whatever the buffer size (the pool serves a
 * size that is not one of its size classes from the next one up).
 */
class ReadBufferRingFiguresTests {

	@ParameterizedTest
	@ValueSource(ints = { 32 * 1024, 33000, 1024 })
	void bytesInRingsAreThePoolBytesTheRingsPin(int bufferSize) throws Exception {
		SocketRig.assumeAvailable(TransportType.IO_URING);
		PooledBufferAllocator pool = new PooledBufferAllocator(
				new PoolSettings(4 * 1024 * 1024, 1, false, Duration.ZERO, true));
		ReadBufferRing ring = new ReadBufferRing(pool.allocator(), 4, bufferSize);
		try (NettyTransport transport = NettyTransport.select(TransportType.IO_URING, 1, Duration.ZERO,
				Duration.ofSeconds(5), ring)) {
			assertThat(transport.isIoUring()).isTrue();
			for (EventExecutor loop : transport.workerGroup()) {
				loop.submit(() -> {
				}).sync();
			}
			assertThat(ring.buffersInRings()).isPositive();
			assertThat(ring.bytesInRings()).isEqualTo(pool.pinnedDirectBytes())
				.isGreaterThanOrEqualTo(ring.buffersInRings() * bufferSize);
		}
		assertThat(ring.buffersInRings()).isZero();
		assertThat(ring.bytesInRings()).isZero();
		assertThat(pool.pinnedDirectBytes()).isZero();
	}

}
