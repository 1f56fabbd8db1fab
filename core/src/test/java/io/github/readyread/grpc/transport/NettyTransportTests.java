package io.github.readyread.grpc.transport;

import java.time.Duration;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
	void closeTerminatesBothGroups() {
		NettyTransport transport = NettyTransport.select(TransportType.NIO, 2, QUIET, TIMEOUT);
		transport.close();
		assertThat(transport.bossGroup().isTerminated()).isTrue();
		assertThat(transport.workerGroup().isTerminated()).isTrue();
	}

}
