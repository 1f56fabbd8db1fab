package io.github.readyread.grpc.alts;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.stream.Stream;

import io.github.readyread.grpc.CountingRelay;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.Http2FrameAligner;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadNegotiators;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.alts.AltsChannelCredentials;
import io.grpc.alts.AltsServerCredentials;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our ALTS client and server against stock grpc-java ALTS (grpc-alts on
 * grpc-netty-shaded), all using the embedded handshaker.
 */
class AltsInteropTests {

	@ParameterizedTest(name = "{0}, our frame size {1}")
	@MethodSource("transportsAndFrameSizes")
	void stockClientCallsOurServer(String transport, int frameSize) throws Exception {
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats stats = new ReadPathStats("server");
		Queue<AltsPeer> peers = AltsTestSupport.peers();
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.of(transport);
				EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("stock@test")) {
			AltsSettings settings = AltsSettings.of(handshaker.channel(), stats)
				.withLocalServiceAccount("ours@test")
				.withMaxFrameSize(frameSize)
				.withPlaintextStage(() -> Http2FrameAligner.behindRecordDecoder(true, stats));
			// Through the ready read path, as the starter wires it.
			Server server = AltsTestSupport.ourServer(loops, alloc,
					ReadyReadNegotiators.secured(AltsNegotiator.server(settings), stats, 64 * 1024), peers);
			ManagedChannel stock = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
				.forAddress("127.0.0.1", AltsTestSupport.port(server),
						AltsChannelCredentials.newBuilder()
							.enableUntrustedAltsForTesting()
							.setHandshakerAddressForTesting(handshaker.target())
							.build())
				.maxInboundMessageSize(AltsTestSupport.MAX_MESSAGE)
				.build();
			try {
				AltsTestSupport.echoEverySize(stock);
				assertThat(stats.readBuffersTaken()).as("reads sized by the ready read path").isPositive();
				assertThat(peers).isNotEmpty()
					.allSatisfy((peer) -> assertThat(peer)
						.isEqualTo(new AltsPeer("stock@test", "ours@test", "ALTSRP_GCM_AES128_REKEY", frameSize)));
			}
			finally {
				AltsTestSupport.shutdown(stock);
				AltsTestSupport.shutdown(server);
			}
			assertThat(stats.incompletePinnedBytes()).isZero();
			loops.trimCaches(alloc);
			assertThat(alloc.pinnedDirectMemory()).isZero();
		}
	}

	@ParameterizedTest(name = "{0}, our frame size {1}")
	@MethodSource("transportsAndFrameSizes")
	void ourClientCallsStockServer(String transport, int frameSize) throws Exception {
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats stats = new ReadPathStats("client");
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.of(transport);
				EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("stock@test")) {
			Server stockServer = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
				.forAddress(new InetSocketAddress("127.0.0.1", 0),
						AltsServerCredentials.newBuilder()
							.enableUntrustedAltsForTesting()
							.setHandshakerAddressForTesting(handshaker.target())
							.build())
				.maxInboundMessageSize(AltsTestSupport.MAX_MESSAGE)
				.addService(AltsTestSupport.echoService(AltsTestSupport.peers()))
				.build()
				.start();
			AltsSettings settings = AltsSettings.of(handshaker.channel(), stats)
				.withLocalServiceAccount("ours@test")
				.withMaxFrameSize(frameSize)
				.withPlaintextStage(() -> Http2FrameAligner.behindRecordDecoder(false, stats));
			GrpcNettyBridge.Negotiator negotiator = ReadyReadNegotiators.secured(AltsNegotiator.client(settings), stats,
					64 * 1024);
			CountingRelay relay = new CountingRelay(AltsTestSupport.port(stockServer));
			ManagedChannel channel = AltsTestSupport.ourChannel(loops, alloc, negotiator, relay.port());
			try {
				AltsTestSupport.echoEverySize(channel);
				// Exactly what the stock server sent on the wire: counted once.
				Awaitility.await()
					.atMost(Duration.ofSeconds(20))
					.untilAsserted(() -> assertThat(stats.bytesRead()).isEqualTo(relay.toClient()));
				assertThat(stats.bytesRead()).isGreaterThan(9L * 1024 * 1024);
				assertThat(stats.readBuffersTaken()).as("reads sized by the ready read path").isPositive();
			}
			finally {
				AltsTestSupport.shutdown(channel);
				AltsTestSupport.shutdown(stockServer);
				relay.close();
			}
			assertThat(stats.incompletePinnedBytes()).isZero();
			loops.trimCaches(alloc);
			assertThat(alloc.pinnedDirectMemory()).isZero();
		}
	}

	static Stream<Arguments> transportsAndFrameSizes() {
		List<String> transports = new ArrayList<>(List.of("nio"));
		if (Epoll.isAvailable()) {
			transports.add("epoll");
		}
		if (IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported()) {
			transports.add("io_uring");
		}
		return transports.stream()
			.flatMap((transport) -> Stream.of(Arguments.of(transport, AltsFrameSizes.DEFAULT),
					Arguments.of(transport, AltsFrameSizes.MAX)));
	}

}
