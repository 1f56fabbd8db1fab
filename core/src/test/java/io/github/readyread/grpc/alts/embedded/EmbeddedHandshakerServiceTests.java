package io.github.readyread.grpc.alts.embedded;

import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsFuzzAccess;
import io.github.readyread.grpc.alts.internal.AltsProtocol;
import io.grpc.Status;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.Identity;
import io.grpc.alts.internal.NextHandshakeMessageReq;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link EmbeddedHandshakerService}, driven directly through its gRPC API.
 */
class EmbeddedHandshakerServiceTests {

	/** The RPC protocol versions our record layer speaks: 2.1 to 2.1. */
	private static final RpcProtocolVersions VERSIONS = RpcProtocolVersions.newBuilder()
		.setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.build();

	private final EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("default@test");

	@AfterEach
	void close() {
		this.handshaker.close();
	}

	@Test
	void bothSidesGetTheSameFreshKeysAndEachOthersIdentity() throws Exception {
		HandshakerResp[] first = handshake(AltsFrameSizes.MAX, AltsFrameSizes.DEFAULT);
		HandshakerResp[] second = handshake(AltsFrameSizes.MAX, AltsFrameSizes.DEFAULT);
		ByteString clientKey = first[0].getResult().getKeyData();
		assertThat(clientKey.size()).isEqualTo(AltsProtocol.KEY_LENGTH);
		assertThat(first[1].getResult().getKeyData()).isEqualTo(clientKey);
		assertThat(second[0].getResult().getKeyData()).isNotEqualTo(clientKey);
		assertThat(first[0].getResult().getPeerIdentity().getServiceAccount()).isEqualTo("server@test");
		assertThat(first[0].getResult().getLocalIdentity().getServiceAccount()).isEqualTo("default@test");
		assertThat(first[1].getResult().getPeerIdentity().getServiceAccount()).isEqualTo("default@test");
		assertThat(first[1].getResult().getLocalIdentity().getServiceAccount()).isEqualTo("server@test");
		assertThat(first[0].getResult().getRecordProtocol()).isEqualTo("ALTSRP_GCM_AES128_REKEY");
		assertThat(first[0].getResult().getApplicationProtocol()).isEqualTo("grpc");
		// Our record layer accepts it (protocols, key data, compatible RPC versions).
		assertThat(AltsFuzzAccess.checkResult(first[0].getResult(), true)).isNull();
	}

	@Test
	void negotiatesTheSmallerFrameSize() throws Exception {
		HandshakerResp[] results = handshake(AltsFrameSizes.MAX, AltsFrameSizes.DEFAULT);
		assertThat(results[0].getResult().getMaxFrameSize()).isEqualTo(AltsFrameSizes.DEFAULT);
		assertThat(results[1].getResult().getMaxFrameSize()).isEqualTo(AltsFrameSizes.DEFAULT);
		results = handshake(AltsFrameSizes.MAX, AltsFrameSizes.MAX);
		assertThat(results[0].getResult().getMaxFrameSize()).isEqualTo(AltsFrameSizes.MAX);
	}

	@Test
	void bytesAfterTheLastHandshakeMessageAreLeftUnconsumed() throws Exception {
		Stream client = new Stream();
		Stream server = new Stream();
		HandshakerResp clientInit = client.send(clientStart(AltsFrameSizes.DEFAULT));
		HandshakerResp serverInit = server.send(serverStart(clientInit.getOutFrames(), AltsFrameSizes.DEFAULT));
		HandshakerResp clientDone = client.send(next(serverInit.getOutFrames()));
		ByteString records = ByteString.copyFromUtf8("first records of the record layer");
		HandshakerResp serverDone = server.send(next(clientDone.getOutFrames().concat(records)));
		assertThat(serverDone.hasResult()).isTrue();
		assertThat(serverDone.getBytesConsumed()).isEqualTo(clientDone.getOutFrames().size());
	}

	@Test
	void tamperedHandshakeFailsKeyConfirmation() throws Exception {
		Stream client = new Stream();
		Stream server = new Stream();
		HandshakerResp clientInit = client.send(clientStart(AltsFrameSizes.DEFAULT));
		HandshakerResp serverInit = server.send(serverStart(clientInit.getOutFrames(), AltsFrameSizes.DEFAULT));
		byte[] tampered = serverInit.getOutFrames().toByteArray();
		tampered[tampered.length - 1] ^= 1;
		HandshakerResp response = client.send(next(ByteString.copyFrom(tampered)));
		assertThat(response.hasResult()).isFalse();
		assertThat(response.getStatus().getCode()).isNotZero();
		assertThat(response.getStatus().getDetails()).contains("key confirmation of the server failed");
	}

	@Test
	void malformedClientInitIsThePeersFaultNotAnInternalError() throws Exception {
		// Found by EmbeddedHandshakerFuzzTests: a client init whose public key is not a
		// key, and one cut short, were answered INTERNAL "embedded handshaker failed".
		ByteString clientInit = new Stream().send(clientStart(AltsFrameSizes.DEFAULT)).getOutFrames();
		byte[] badKey = clientInit.toByteArray();
		badKey[4 + 1 + 4 + 1] ^= 0x7F;
		byte[] cutShort = clientInit.toByteArray();
		int length = 1 + 4 + 2;
		cutShort[0] = 0;
		cutShort[1] = 0;
		cutShort[2] = 0;
		cutShort[3] = (byte) length;
		for (byte[] malformed : new byte[][] { badKey, java.util.Arrays.copyOf(cutShort, 4 + length) }) {
			HandshakerResp response = new Stream()
				.send(serverStart(ByteString.copyFrom(malformed), AltsFrameSizes.DEFAULT));
			assertThat(response.hasResult()).isFalse();
			assertThat(response.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
			assertThat(response.getStatus().getDetails()).startsWith("malformed client init from the peer: ");
		}
	}

	@Test
	void handshakeMessagesMayArriveInPieces() throws Exception {
		Stream client = new Stream();
		Stream server = new Stream();
		ByteString clientInit = client.send(clientStart(AltsFrameSizes.DEFAULT)).getOutFrames();
		HandshakerResp partial = server.send(serverStart(clientInit.substring(0, 10), AltsFrameSizes.DEFAULT));
		assertThat(partial.getOutFrames().isEmpty()).isTrue();
		assertThat(partial.getBytesConsumed()).isEqualTo(10);
		HandshakerResp serverInit = server.send(next(clientInit.substring(10)));
		assertThat(serverInit.getOutFrames().isEmpty()).isFalse();
		HandshakerResp clientDone = client.send(next(serverInit.getOutFrames()));
		assertThat(clientDone.hasResult()).isTrue();
		HandshakerResp serverDone = server.send(next(clientDone.getOutFrames()));
		assertThat(serverDone.getResult().getKeyData()).isEqualTo(clientDone.getResult().getKeyData());
	}

	@Test
	void bindsOnlyLoopbackUnlessAllowed() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EmbeddedHandshaker.start(new EmbeddedHandshakerService("a@test"),
					new InetSocketAddress("0.0.0.0", 0), false))
			.withMessageContaining("loopback");
		try (EmbeddedHandshaker tcp = EmbeddedHandshaker.startWithLoopbackPort("a@test")) {
			assertThat(tcp.tcpAddress().getAddress().isLoopbackAddress()).isTrue();
			assertThat(tcp.target()).startsWith("127.0.0.1:");
		}
	}

	/** The client's and the server's final responses. */
	private HandshakerResp[] handshake(int clientFrameSize, int serverFrameSize) throws Exception {
		Stream client = new Stream();
		Stream server = new Stream();
		HandshakerResp clientInit = client.send(clientStart(clientFrameSize));
		HandshakerResp serverInit = server.send(serverStart(clientInit.getOutFrames(), serverFrameSize));
		assertThat(serverInit.getBytesConsumed()).isEqualTo(clientInit.getOutFrames().size());
		HandshakerResp clientDone = client.send(next(serverInit.getOutFrames()));
		assertThat(clientDone.getBytesConsumed()).isEqualTo(serverInit.getOutFrames().size());
		HandshakerResp serverDone = server.send(next(clientDone.getOutFrames()));
		assertThat(serverDone.getBytesConsumed()).isEqualTo(clientDone.getOutFrames().size());
		assertThat(serverDone.getOutFrames().isEmpty()).isTrue();
		return new HandshakerResp[] { clientDone, serverDone };
	}

	private static HandshakerReq clientStart(int frameSize) {
		return HandshakerReq.newBuilder()
			.setClientStart(StartClientHandshakeReq.newBuilder()
				.setHandshakeSecurityProtocol(HandshakeProtocol.ALTS)
				.addApplicationProtocols("grpc")
				.addRecordProtocols("ALTSRP_GCM_AES128_REKEY")
				.setRpcVersions(VERSIONS)
				.setMaxFrameSize(frameSize))
			.build();
	}

	private static HandshakerReq serverStart(ByteString in, int frameSize) {
		ServerHandshakeParameters parameters = ServerHandshakeParameters.newBuilder()
			.addRecordProtocols("ALTSRP_GCM_AES128_REKEY")
			.addLocalIdentities(Identity.newBuilder().setServiceAccount("server@test"))
			.build();
		return HandshakerReq.newBuilder()
			.setServerStart(StartServerHandshakeReq.newBuilder()
				.addApplicationProtocols("grpc")
				.putHandshakeParameters(HandshakeProtocol.ALTS.getNumber(), parameters)
				.setInBytes(in)
				.setRpcVersions(VERSIONS)
				.setMaxFrameSize(frameSize))
			.build();
	}

	private static HandshakerReq next(ByteString in) {
		return HandshakerReq.newBuilder().setNext(NextHandshakeMessageReq.newBuilder().setInBytes(in)).build();
	}

	private final class Stream {

		private final BlockingQueue<HandshakerResp> responses = new LinkedBlockingQueue<>();

		private final StreamObserver<HandshakerReq> requests;

		Stream() {
			this.requests = HandshakerServiceGrpc.newStub(EmbeddedHandshakerServiceTests.this.handshaker.channel())
				.doHandshake(new StreamObserver<>() {
					@Override
					public void onNext(HandshakerResp value) {
						Stream.this.responses.add(value);
					}

					@Override
					public void onError(Throwable t) {
					}

					@Override
					public void onCompleted() {
					}
				});
		}

		HandshakerResp send(HandshakerReq request) throws InterruptedException {
			this.requests.onNext(request);
			HandshakerResp response = this.responses.poll(5, TimeUnit.SECONDS);
			assertThat(response).isNotNull();
			return response;
		}

	}

}
