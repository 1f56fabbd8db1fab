package io.github.readyread.grpc.transport.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.readyread.grpc.CountingRelay;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The read path's figures and limits on plaintext connections on real sockets on
 * 127.0.0.1, on epoll and on NIO forced: bytes read are the bytes the peer sent, and
 * {@code read-buffer-size} bounds every read buffer.
 */
class ReadyReadFiguresTests {

	@ParameterizedTest
	@ValueSource(strings = { "epoll-ready", "nio-ready", "epoll-conventional", "nio-conventional" })
	void bytesReadAreExactlyTheBytesThePeerSentOnTheWire(String config) throws Exception {
		boolean epoll = config.startsWith("epoll");
		assumeTrue(!epoll || Epoll.isAvailable(), "native epoll unavailable");
		ReadPath readPath = config.endsWith("ready") ? ReadPath.READY : ReadPath.CONVENTIONAL;
		try (SocketRig rig = SocketRig.on(epoll ? TransportType.EPOLL : TransportType.NIO).readPath(readPath).start();
				CountingRelay relay = new CountingRelay(rig.port())) {
			ManagedChannel channel = rig.channel(relay.port());
			for (int size : new int[] { 0, 100, 70_000, 1024 * 1024 }) {
				assertThat(echo(channel, size)).hasSize(size);
			}
			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(
						() -> assertThat(new long[] { rig.client.stats.bytesRead(), rig.server.stats.bytesRead() })
							.as("bytes read by client and server")
							.containsExactly(relay.toClient(), relay.toServer()));
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	// ADAPTIVE rows changed with adaptive read sizing: reads now take the whole read
	// buffer size while bytes come (64 KiB, as Netty's own loop); EXACT keeps reads sized
	// to one frame and its neighbours' headers (16402).
	@ParameterizedTest(name = "{0}, read-buffer-size {1}, {2}")
	@CsvSource({ "epoll, 4096, ADAPTIVE, 4096", "nio, 4096, ADAPTIVE, 4096", "epoll, 65536, ADAPTIVE, 65536",
			"nio, 65536, ADAPTIVE, 65536", "epoll, 65536, EXACT, 16402", "nio, 65536, EXACT, 16402" })
	void readBufferSizeBoundsEveryReadBufferOfPlaintextConnections(String transport, int readBufferSize,
			ReadSizing sizing, int largestRead) throws Exception {
		try (SocketRig rig = SocketRig.on(transport)
			.wiring(SocketRig.Wiring.TRANSPORT)
			.readBufferSize(readBufferSize)
			.sizing(sizing)
			.start()) {
			ManagedChannel channel = rig.channel();
			assertThat(echo(channel, 1)).hasSize(1);
			List<Channel> connections = new ArrayList<>(rig.server.stats.liveChannels());
			connections.addAll(rig.client.stats.liveChannels());
			assertThat(connections).hasSize(2);
			AtomicInteger largest = new AtomicInteger();
			AtomicInteger reads = new AtomicInteger();
			for (Channel connection : connections) {
				ReadyReadRecvByteBufAllocator allocator = connection.config().getRecvByteBufAllocator();
				assertThat(allocator.demand().maxReadSize()).isEqualTo(readBufferSize);
				String head = connection.pipeline().context(ReadPathHeadHandler.class).name();
				connection.pipeline().addAfter(head, null, new ReadBufferProbe(largest, reads));
			}
			byte[] message = EchoService.content(3, 1024 * 1024);
			assertThat(echo(channel, message)).isEqualTo(message);
			assertThat(reads.get()).as("read buffers seen").isPositive();
			assertThat(largest.get()).as("largest read buffer").isLessThanOrEqualTo(largestRead);
			if (readBufferSize > largestRead) {
				// Reads are sized to frames: a whole 16 KiB DATA frame (and the next
				// header), never more, whatever the configured size.
				assertThat(largest.get()).as("largest read buffer").isGreaterThan(16384);
			}
		}
	}

	private static byte[] echo(ManagedChannel channel, int size) {
		return echo(channel, new byte[size]);
	}

	private static byte[] echo(ManagedChannel channel, byte[] message) {
		return ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
				CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), message);
	}

	/** Sees each read buffer right after the head handler, as the socket filled it. */
	private static final class ReadBufferProbe extends ChannelInboundHandlerAdapter {

		private final AtomicInteger largest;

		private final AtomicInteger reads;

		ReadBufferProbe(AtomicInteger largest, AtomicInteger reads) {
			this.largest = largest;
			this.reads = reads;
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf buffer) {
				this.largest.accumulateAndGet(buffer.capacity(), Math::max);
				this.reads.incrementAndGet();
			}
			ctx.fireChannelRead(msg);
		}

	}

}
