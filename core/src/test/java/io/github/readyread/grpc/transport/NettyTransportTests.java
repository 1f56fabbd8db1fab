package io.github.readyread.grpc.transport;

import java.time.Duration;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link NettyTransport} selection.
 */
class NettyTransportTests {

	private static final Duration QUIET = Duration.ZERO;

	private static final Duration TIMEOUT = Duration.ofSeconds(2);

	private static final Throwable IO_URING_UNAVAILABLE = new UnsupportedOperationException(
			"io_uring blocked by seccomp");

	private static final Throwable UNAVAILABLE = new UnsupportedOperationException(
			"no libnetty_transport_native_epoll");

	@Test
	void forcedEpollWhereUnavailableFailsWithTheReason() {
		assertThatIllegalStateException()
			.isThrownBy(() -> NettyTransport.select(TransportType.EPOLL, 1, QUIET, TIMEOUT, UNAVAILABLE))
			.withMessageContaining("grpc.ready-read.transport=epoll")
			.withMessageContaining("no libnetty_transport_native_epoll");
	}

	@Test
	void autoFallsBackToNioAndSaysWhy() {
		try (NettyTransport transport = NettyTransport.select(TransportType.AUTO, 1, QUIET, TIMEOUT, UNAVAILABLE)) {
			assertThat(transport.type()).isEqualTo(TransportType.NIO);
			assertThat(transport.reason()).contains("no libnetty_transport_native_epoll");
			assertThat(transport.serverChannelType()).isEqualTo(NioServerSocketChannel.class);
		}
	}

	@Test
	void autoChoosesEpollWhereAvailable() {
		assumeTrue(Epoll.isAvailable());
		try (NettyTransport transport = NettyTransport.select(TransportType.AUTO, 1, QUIET, TIMEOUT)) {
			assertThat(transport.isEpoll()).isTrue();
		}
	}

	@Test
	void ioUringWhereUnavailableFallsBackToEpollAndSaysWhy() {
		assumeTrue(Epoll.isAvailable());
		PooledBufferAllocator pool = new PooledBufferAllocator(PoolSettings.defaults());
		try (NettyTransport transport = NettyTransport.select(TransportType.IO_URING, 1, QUIET, TIMEOUT, null, null,
				IO_URING_UNAVAILABLE)) {
			assertThat(transport.type()).isEqualTo(TransportType.EPOLL);
			assertThat(transport.requested()).isEqualTo(TransportType.IO_URING);
			assertThat(transport.isFallback()).isTrue();
			assertThat(transport.reason()).contains("io_uring unavailable").contains("io_uring blocked by seccomp");
			assertThat(transport.readBufferRing()).isNull();
			assertThat(transport.socketOptions()).isEmpty();
			ReadyReadTransport readyRead = new ReadyReadTransport(transport, pool, TransportSettings.defaults(),
					new ReadPathRegistry());
			assertThat(readyRead.mode()).isEqualTo(ReadyReadMode.FALLBACK);
			assertThat(readyRead.fallbackReason()).contains("epoll").contains("io_uring blocked by seccomp");
			readyRead.close();
		}
	}

	@Test
	void ioUringWhereNeitherNativeTransportRunsFallsBackToNioWithBothReasons() {
		try (NettyTransport transport = NettyTransport.select(TransportType.IO_URING, 1, QUIET, TIMEOUT, null,
				UNAVAILABLE, IO_URING_UNAVAILABLE)) {
			assertThat(transport.type()).isEqualTo(TransportType.NIO);
			assertThat(transport.reason()).contains("io_uring blocked by seccomp")
				.contains("no libnetty_transport_native_epoll");
		}
	}

	@Test
	void autoKeepsChoosingEpollWhereIoUringRunsToo() {
		assumeTrue(Epoll.isAvailable(), "epoll unavailable");
		Throwable ioUringCause = IoUringSupport.unavailabilityCause();
		assumeTrue(ioUringCause == null, () -> "io_uring unavailable: " + ioUringCause);
		try (NettyTransport transport = NettyTransport.select(TransportType.AUTO, 1, QUIET, TIMEOUT)) {
			assertThat(transport.type()).isEqualTo(TransportType.EPOLL);
			assertThat(transport.isFallback()).isFalse();
		}
	}

	@Test
	void ioUringWhereAvailableGivesEveryWorkerLoopARingFromThePool() throws Exception {
		assumeTrue(IoUringSupport.unavailabilityCause() == null, "io_uring with buffer rings unavailable");
		PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);
		ReadBufferRing ring = new ReadBufferRing(pool, 8, 16384);
		NettyTransport transport = NettyTransport.select(TransportType.IO_URING, 2, QUIET, TIMEOUT, ring);
		try {
			assertThat(transport.type()).isEqualTo(TransportType.IO_URING);
			assertThat(transport.isFallback()).isFalse();
			assertThat(transport.socketChannelType()).isEqualTo(IoUringSocketChannel.class);
			assertThat(transport.serverChannelType()).isEqualTo(IoUringServerSocketChannel.class);
			assertThat(transport.socketOptions()).containsEntry(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID,
					ReadBufferRing.BUFFER_GROUP_ID);
			for (EventExecutor loop : transport.workerGroup()) {
				loop.submit(() -> {
				}).get();
			}
			assertThat(ring.rings()).isEqualTo(2);
			// Each ring starts half full, every buffer from the pool.
			assertThat(ring.buffersInRings()).isEqualTo(2 * 4);
			assertThat(ring.bytesInRings()).isEqualTo(2 * 4 * 16384);
			assertThat(pool.pinnedDirectMemory()).isEqualTo(ring.bytesInRings());
		}
		finally {
			transport.close();
		}
		assertThat(ring.bytesInRings()).isZero();
		assertThat(pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void closeTerminatesBothGroups() {
		NettyTransport transport = NettyTransport.select(TransportType.NIO, 2, QUIET, TIMEOUT);
		transport.close();
		assertThat(transport.bossGroup().isTerminated()).isTrue();
		assertThat(transport.workerGroup().isTerminated()).isTrue();
	}

}
