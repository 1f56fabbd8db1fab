package io.github.readyread.grpc.alts;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.SecurityLevel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Our ALTS client talking to our ALTS server over real loopback sockets, on epoll and
 * NIO.
 */
class AltsEndToEndTests {

	@ParameterizedTest(name = "{0}, frame size {1}")
	@CsvSource({ "epoll, 16384", "epoll, 131072", "nio, 16384", "nio, 131072" })
	void echoesEverySizeAndReleasesEveryBuffer(String transport, int frameSize) throws Exception {
		PeerRecorder peers = new PeerRecorder();
		Queue<ChannelHandler> stages = new ConcurrentLinkedQueue<>();
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test");
				SocketRig rig = SocketRig.on(transport)
					.serverSecurity((side) -> AltsNegotiator.server(AltsSettings.of(handshaker.channel(), side.stats)
						.withLocalServiceAccount("server@test")
						.withMaxFrameSize(frameSize)))
					.clientSecurity((side) -> AltsNegotiator.client(AltsSettings.of(handshaker.channel(), side.stats)
						.withLocalServiceAccount("client@test")
						.withTargetServiceAccounts(List.of("server@test"))
						.withMaxFrameSize(frameSize)
						.withPlaintextStage(() -> {
							ChannelHandler stage = new ChannelDuplexHandler();
							stages.add(stage);
							return stage;
						})))
					.service(peers.echoService())
					.start()) {
			ManagedChannel channel = rig.channel();
			EchoEverySize.check(channel);
			ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, new byte[] { 1 });
			assertThat(peers.peers()).isNotEmpty()
				.allSatisfy((peer) -> assertThat(peer)
					.isEqualTo(new AltsPeer("client@test", "server@test", "ALTSRP_GCM_AES128_REKEY", frameSize)));
			assertThat(stages).hasSize(1);
			// Bytes read are the head handler's to count (one owner per figure); a bare
			// ALTS negotiator installs none, and the record decoder counts none.
			assertThat(rig.server.stats.bytesRead()).isZero();
			assertThat(rig.client.stats.bytesRead()).isZero();
			rig.shutdownChannels();
			rig.shutdownServerNow();
			assertThat(rig.server.stats.incompletePinnedBytes()).isZero();
			assertThat(rig.client.stats.incompletePinnedBytes()).isZero();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "epoll", "nio" })
	void aServerOutsideTheTargetServiceAccountsIsRefusedWhateverTheHandshakerAccepts(String transport)
			throws Exception {
		// The embedded handshaker checks no identity: the client's own check must refuse.
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test");
				SocketRig rig = SocketRig.on(transport)
					.serverSecurity((side) -> AltsNegotiator.server(
							AltsSettings.of(handshaker.channel(), side.stats).withLocalServiceAccount("impostor@test")))
					.clientSecurity((side) -> AltsNegotiator.client(AltsSettings.of(handshaker.channel(), side.stats)
						.withLocalServiceAccount("client@test")
						.withTargetServiceAccounts(List.of("server@test", "backup@test"))))
					.start()) {
			ManagedChannel channel = rig.channel();
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT,
						new byte[] { 1 }))
				.satisfies((ex) -> assertThat(ex.getStatus().getDescription())
					.contains("'impostor@test' is not one of the target service accounts [server@test, backup@test]"));
			rig.shutdownChannels();
			rig.shutdownServerNow();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "epoll", "nio" })
	void clientSeesTheServerIdentityAndPrivacyAndIntegrity(String transport) throws Exception {
		// Both sides with default settings offer 128 KiB records, as grpc-java does.
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test");
				SocketRig rig = SocketRig.on(transport)
					.serverSecurity((side) -> AltsNegotiator.server(AltsSettings.of(handshaker.channel(), side.stats)))
					.clientSecurity((side) -> AltsNegotiator
						.client(AltsSettings.of(handshaker.channel(), side.stats).withLocalServiceAccount("c@test")))
					.start()) {
			ManagedChannel channel = rig.channel();
			var call = channel.newCall(EchoService.ECHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
			var response = new java.util.concurrent.CompletableFuture<io.grpc.Attributes>();
			var closed = new java.util.concurrent.CompletableFuture<io.grpc.Status>();
			call.start(new io.grpc.ClientCall.Listener<>() {
				@Override
				public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
					closed.complete(status);
					response.complete(call.getAttributes());
				}
			}, new io.grpc.Metadata());
			call.sendMessage(new byte[0]);
			call.halfClose();
			call.request(1);
			io.grpc.Attributes attributes = response.get(10, TimeUnit.SECONDS);
			io.grpc.Status status = closed.get();
			assertThat(status.isOk()).as("the echo call succeeded (status %s)", status).isTrue();
			assertThat(attributes.get(io.github.readyread.grpc.transport.internal.GrpcNettyBridge.securityLevelKey()))
				.isEqualTo(SecurityLevel.PRIVACY_AND_INTEGRITY);
			assertThat(AltsPeer.fromAttributes(attributes))
				.isEqualTo(new AltsPeer("default@test", "c@test", "ALTSRP_GCM_AES128_REKEY", AltsFrameSizes.MAX));
			rig.closeAndAssertPoolsEmpty();
		}
	}

}
