package io.github.readyread.grpc.alts;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.SecurityLevel;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our ALTS client talking to our ALTS server over real loopback sockets, on epoll and
 * NIO.
 */
class AltsEndToEndTests {

	@ParameterizedTest(name = "{0}, frame size {1}")
	@CsvSource({ "epoll, 16384", "epoll, 131072", "nio, 16384", "nio, 131072" })
	void echoesEverySizeAndReleasesEveryBuffer(String transport, int frameSize) throws Exception {
		assumeTrue(!"epoll".equals(transport) || Epoll.isAvailable(), "epoll unavailable");
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats serverStats = new ReadPathStats("server");
		ReadPathStats clientStats = new ReadPathStats("client");
		Queue<AltsPeer> peers = AltsTestSupport.peers();
		Queue<ChannelHandler> stages = new ConcurrentLinkedQueue<>();
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.of(transport);
				EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test")) {
			AltsSettings serverSettings = AltsSettings.of(handshaker.channel(), serverStats)
				.withLocalServiceAccount("server@test")
				.withMaxFrameSize(frameSize);
			AltsSettings clientSettings = AltsSettings.of(handshaker.channel(), clientStats)
				.withLocalServiceAccount("client@test")
				.withTargetServiceAccounts(List.of("server@test"))
				.withMaxFrameSize(frameSize)
				.withPlaintextStage(() -> {
					ChannelHandler stage = new ChannelDuplexHandler();
					stages.add(stage);
					return stage;
				});
			Server server = AltsTestSupport.ourServer(loops, alloc, AltsNegotiator.server(serverSettings), peers);
			ManagedChannel channel = AltsTestSupport.ourChannel(loops, alloc, AltsNegotiator.client(clientSettings),
					AltsTestSupport.port(server));
			try {
				AltsTestSupport.echoEverySize(channel);
				ClientCalls.blockingUnaryCall(channel, AltsTestSupport.UNARY, CallOptions.DEFAULT, new byte[] { 1 });
				assertThat(peers).isNotEmpty()
					.allSatisfy((peer) -> assertThat(peer)
						.isEqualTo(new AltsPeer("client@test", "server@test", "ALTSRP_GCM_AES128_REKEY", frameSize)));
				assertThat(stages).hasSize(1);
				// Bytes read are the head handler's to count (one owner per figure); a
				// bare
				// ALTS negotiator installs none, and the record decoder counts none.
				assertThat(serverStats.bytesRead()).isZero();
				assertThat(clientStats.bytesRead()).isZero();
			}
			finally {
				AltsTestSupport.shutdown(channel);
				AltsTestSupport.shutdown(server);
			}
			assertThat(serverStats.incompletePinnedBytes()).isZero();
			assertThat(clientStats.incompletePinnedBytes()).isZero();
			loops.trimCaches(alloc);
			assertThat(alloc.pinnedDirectMemory()).isZero();
		}
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "epoll", "nio" })
	void clientSeesTheServerIdentityAndPrivacyAndIntegrity(String transport) throws Exception {
		assumeTrue(!"epoll".equals(transport) || Epoll.isAvailable(), "epoll unavailable");
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		ReadPathStats stats = new ReadPathStats("test");
		try (AltsTestSupport.Loops loops = AltsTestSupport.Loops.of(transport);
				EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test")) {
			Server server = AltsTestSupport.ourServer(loops, alloc,
					AltsNegotiator.server(AltsSettings.of(handshaker.channel(), stats)), AltsTestSupport.peers());
			ManagedChannel channel = AltsTestSupport.ourChannel(loops, alloc,
					AltsNegotiator
						.client(AltsSettings.of(handshaker.channel(), stats).withLocalServiceAccount("c@test")),
					AltsTestSupport.port(server));
			try {
				var call = channel.newCall(AltsTestSupport.UNARY,
						CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
				var response = new java.util.concurrent.CompletableFuture<io.grpc.Attributes>();
				call.start(new io.grpc.ClientCall.Listener<>() {
					@Override
					public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
						response.complete(call.getAttributes());
					}
				}, new io.grpc.Metadata());
				call.sendMessage(new byte[0]);
				call.halfClose();
				call.request(1);
				io.grpc.Attributes attributes = response.get(10, TimeUnit.SECONDS);
				assertThat(attributes.get(io.github.readyread.grpc.transport.GrpcNettyBridge.securityLevelKey()))
					.isEqualTo(SecurityLevel.PRIVACY_AND_INTEGRITY);
				assertThat(AltsPeer.fromAttributes(attributes)).isEqualTo(
						new AltsPeer("default@test", "c@test", "ALTSRP_GCM_AES128_REKEY", AltsFrameSizes.DEFAULT));
			}
			finally {
				AltsTestSupport.shutdown(channel);
				AltsTestSupport.shutdown(server);
			}
			loops.trimCaches(alloc);
			assertThat(alloc.pinnedDirectMemory()).isZero();
		}
	}

}
