package io.github.readyread.grpc.alts;

import java.net.InetSocketAddress;
import java.util.Queue;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.alts.AltsChannelCredentials;
import io.grpc.alts.AltsServerCredentials;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our ALTS client and server against stock grpc-java ALTS (grpc-alts on
 * grpc-netty-shaded), all using the embedded handshaker.
 */
class AltsInteropTests {

	@ParameterizedTest(name = "our frame size {0}")
	@ValueSource(ints = { AltsFrameSizes.DEFAULT, AltsFrameSizes.MAX })
	void stockClientCallsOurServer(int frameSize) throws Exception {
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats stats = new ReadPathStats("server");
		Queue<AltsPeer> peers = AltsTestSupport.peers();
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.best();
				EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("stock@test")) {
			AltsSettings settings = AltsSettings.of(handshaker.channel(), stats)
				.withLocalServiceAccount("ours@test")
				.withMaxFrameSize(frameSize);
			Server server = AltsTestSupport.ourServer(loops, alloc, AltsNegotiator.server(settings), peers);
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

	@ParameterizedTest(name = "our frame size {0}")
	@ValueSource(ints = { AltsFrameSizes.DEFAULT, AltsFrameSizes.MAX })
	void ourClientCallsStockServer(int frameSize) throws Exception {
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats stats = new ReadPathStats("client");
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.best();
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
				.withMaxFrameSize(frameSize);
			AltsNegotiator negotiator = AltsNegotiator.client(settings);
			ManagedChannel channel = AltsTestSupport.ourChannel(loops, alloc, negotiator,
					AltsTestSupport.port(stockServer));
			try {
				AltsTestSupport.echoEverySize(channel);
				assertThat(stats.bytesRead()).isGreaterThan(9L * 1024 * 1024);
			}
			finally {
				AltsTestSupport.shutdown(channel);
				AltsTestSupport.shutdown(stockServer);
			}
			assertThat(stats.incompletePinnedBytes()).isZero();
			loops.trimCaches(alloc);
			assertThat(alloc.pinnedDirectMemory()).isZero();
		}
	}

}
