package io.github.readyread.grpc.alts;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.readyread.grpc.CountingRelay;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.github.readyread.grpc.transport.internal.ReadyReadNegotiators;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.alts.AltsChannelCredentials;
import io.grpc.alts.AltsServerCredentials;
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
		PeerRecorder peers = new PeerRecorder();
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("stock@test");
				SocketRig rig = SocketRig.on(transport)
					// Through the ready read path, as the starter wires it.
					.serverSecurity(
							(side) -> ReadyReadNegotiators
								.secured(
										AltsNegotiator.server(AltsSettings.of(handshaker.channel(), side.stats)
											.withLocalServiceAccount("ours@test")
											.withMaxFrameSize(frameSize)
											.withPlaintextStage(() -> Http2FrameAligner.behindRecordDecoder(true,
													side.stats, DataFrames.SLICE_FILLED_READS))),
										side.stats, 64 * 1024))
					.service(peers.echoService())
					.start()) {
			ManagedChannel stock = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
				.forAddress("127.0.0.1", rig.port(),
						AltsChannelCredentials.newBuilder()
							.enableUntrustedAltsForTesting()
							.setHandshakerAddressForTesting(handshaker.target())
							.build())
				.maxInboundMessageSize(SocketRig.MAX_MESSAGE)
				.build();
			try {
				EchoEverySize.check(stock);
				assertThat(rig.server.stats.readBuffersTaken()).as("reads sized by the ready read path").isPositive();
				assertThat(peers.peers()).isNotEmpty()
					.allSatisfy((peer) -> assertThat(peer)
						.isEqualTo(new AltsPeer("stock@test", "ours@test", "ALTSRP_GCM_AES128_REKEY", frameSize)));
			}
			finally {
				stock.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
				rig.shutdownServerNow();
			}
			assertThat(rig.server.stats.incompletePinnedBytes()).isZero();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest(name = "{0}, our frame size {1}")
	@MethodSource("transportsAndFrameSizes")
	void ourClientCallsStockServer(String transport, int frameSize) throws Exception {
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("stock@test");
				SocketRig rig = SocketRig.on(transport)
					.clientSecurity(
							(side) -> ReadyReadNegotiators
								.secured(
										AltsNegotiator.client(AltsSettings.of(handshaker.channel(), side.stats)
											.withLocalServiceAccount("ours@test")
											.withMaxFrameSize(frameSize)
											.withPlaintextStage(() -> Http2FrameAligner.behindRecordDecoder(false,
													side.stats, DataFrames.SLICE_FILLED_READS))),
										side.stats, 64 * 1024))
					.start()) {
			Server stockServer = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
				.forAddress(new InetSocketAddress("127.0.0.1", 0),
						AltsServerCredentials.newBuilder()
							.enableUntrustedAltsForTesting()
							.setHandshakerAddressForTesting(handshaker.target())
							.build())
				.maxInboundMessageSize(SocketRig.MAX_MESSAGE)
				.addService(new EchoService())
				.build()
				.start();
			CountingRelay relay = new CountingRelay(stockServer.getPort());
			ManagedChannel channel = rig.channel(relay.port());
			try {
				EchoEverySize.check(channel);
				// Exactly what the stock server sent on the wire: counted once.
				Awaitility.await()
					.atMost(Duration.ofSeconds(20))
					.untilAsserted(() -> assertThat(rig.client.stats.bytesRead()).isEqualTo(relay.toClient()));
				assertThat(rig.client.stats.bytesRead()).isGreaterThan(9L * 1024 * 1024);
				assertThat(rig.client.stats.readBuffersTaken()).as("reads sized by the ready read path").isPositive();
			}
			finally {
				rig.shutdownChannels();
				stockServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
				relay.close();
			}
			assertThat(rig.client.stats.incompletePinnedBytes()).isZero();
			rig.closeAndAssertPoolsEmpty();
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
