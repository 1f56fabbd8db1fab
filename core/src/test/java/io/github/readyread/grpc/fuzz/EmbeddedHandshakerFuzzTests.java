package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshakerService;
import io.github.readyread.grpc.alts.internal.AltsProtocol;
import io.grpc.Status;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.NextHandshakeMessageReq;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.stub.StreamObserver;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the embedded handshaker's message parser, the one place our code parses a peer's
 * handshake bytes: either fuzzer bytes as a peer's messages to a client or server
 * handshake, or a real client and server handshake relayed to each other with bytes
 * flipped in transit and split at fuzzer-chosen places.
 *
 * <p>
 * What must hold: no exception escapes the service; every answer consumes at most the
 * bytes it was sent; a failure is one answer with a non-zero status naming the peer's
 * fault ({@code INVALID_ARGUMENT} or {@code PERMISSION_DENIED}), then the end of the
 * stream and nothing after it; fuzzer bytes never produce a result (they cannot carry the
 * key confirmation); a relayed handshake left intact gives both sides a result with the
 * same keys and each other's identity, and a tampered one never gives both sides results
 * with different keys.
 */
class EmbeddedHandshakerFuzzTests {

	private static final EmbeddedHandshakerService SERVICE = new EmbeddedHandshakerService("local@fuzz");

	private static final RpcProtocolVersions VERSIONS = RpcProtocolVersions.newBuilder()
		.setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(2).setMinor(1))
		.build();

	@FuzzTest(maxDuration = "5m")
	void peerMessagesAndTamperedHandshakes(FuzzedDataProvider data) {
		if (data.consumeBoolean()) {
			fuzzerBytesAsThePeer(data);
		}
		else {
			relayedHandshake(data);
		}
	}

	private static void fuzzerBytesAsThePeer(FuzzedDataProvider data) {
		boolean client = data.consumeBoolean();
		byte[] peer = data.consumeBytes(data.consumeInt(0, 2000));
		List<byte[]> reads = AltsRecordDecoderFuzzTests.splitIntoReads(peer, data, 300);
		Side side = new Side();
		if (client) {
			side.send(clientStart());
		}
		for (int i = 0; i < reads.size() && !side.completed; i++) {
			ByteString in = ByteString.copyFrom(reads.get(i));
			side.send((!client && i == 0) ? serverStart(in) : next(in));
		}
		assertThat(side.result).as("a result from fuzzer bytes").isNull();
	}

	private static void relayedHandshake(FuzzedDataProvider data) {
		Side client = new Side();
		Side server = new Side();
		boolean tampered = false;
		client.send(clientStart());
		boolean serverStarted = false;
		// client -> server, server -> client, client -> server
		for (int leg = 0; leg < 3; leg++) {
			Side from = (leg % 2 == 0) ? client : server;
			Side to = (leg % 2 == 0) ? server : client;
			byte[] bytes = from.takeOut();
			int flips = data.consumeInt(0, 2);
			for (int i = 0; i < flips && bytes.length > 0; i++) {
				int at = data.consumeInt(0, bytes.length - 1);
				byte flip = data.consumeByte();
				tampered |= flip != 0;
				bytes[at] ^= flip;
			}
			for (byte[] read : AltsRecordDecoderFuzzTests.splitIntoReads(bytes, data, 200)) {
				if (to.completed) {
					break;
				}
				ByteString in = ByteString.copyFrom(read);
				if (to == server && !serverStarted) {
					serverStarted = true;
					to.send(serverStart(in));
				}
				else {
					to.send(next(in));
				}
			}
		}
		if (!tampered) {
			assertThat(client.result).as("client result of an intact handshake").isNotNull();
			assertThat(server.result).as("server result of an intact handshake").isNotNull();
			assertThat(client.result.getPeerIdentity()).isEqualTo(server.result.getLocalIdentity());
			assertThat(server.result.getPeerIdentity()).isEqualTo(client.result.getLocalIdentity());
		}
		if (client.result != null && server.result != null) {
			assertThat(client.result.getKeyData()).as("keys of the two sides").isEqualTo(server.result.getKeyData());
		}
	}

	private static HandshakerReq clientStart() {
		return HandshakerReq.newBuilder()
			.setClientStart(StartClientHandshakeReq.newBuilder()
				.setHandshakeSecurityProtocol(HandshakeProtocol.ALTS)
				.addApplicationProtocols(AltsProtocol.APPLICATION_PROTOCOL)
				.addRecordProtocols(AltsProtocol.RECORD_PROTOCOL)
				.setRpcVersions(VERSIONS)
				.setMaxFrameSize(16384))
			.build();
	}

	private static HandshakerReq serverStart(ByteString in) {
		return HandshakerReq.newBuilder()
			.setServerStart(StartServerHandshakeReq.newBuilder()
				.addApplicationProtocols(AltsProtocol.APPLICATION_PROTOCOL)
				.putHandshakeParameters(HandshakeProtocol.ALTS.getNumber(),
						ServerHandshakeParameters.newBuilder().addRecordProtocols(AltsProtocol.RECORD_PROTOCOL).build())
				.setInBytes(in)
				.setRpcVersions(VERSIONS)
				.setMaxFrameSize(16384))
			.build();
	}

	private static HandshakerReq next(ByteString in) {
		return HandshakerReq.newBuilder().setNext(NextHandshakeMessageReq.newBuilder().setInBytes(in)).build();
	}

	/** One side's handshake with the service, checking every answer. */
	private static final class Side implements StreamObserver<HandshakerResp> {

		private final StreamObserver<HandshakerReq> requests;

		private final ByteArrayOutputStream out = new ByteArrayOutputStream();

		private final List<HandshakerResp> answers = new ArrayList<>();

		private int sentBytes;

		private boolean failed;

		boolean completed;

		HandshakerResult result;

		Side() {
			this.requests = SERVICE.doHandshake(this);
		}

		void send(HandshakerReq request) {
			this.sentBytes = request.hasServerStart() ? request.getServerStart().getInBytes().size()
					: request.getNext().getInBytes().size();
			int before = this.answers.size();
			boolean finished = this.result != null;
			this.requests.onNext(request);
			assertThat(this.answers.size() - before).as("answers to one request").isEqualTo(finished ? 0 : 1);
		}

		byte[] takeOut() {
			byte[] bytes = this.out.toByteArray();
			this.out.reset();
			return bytes;
		}

		@Override
		public void onNext(HandshakerResp response) {
			assertThat(this.completed).as("an answer after the end").isFalse();
			this.answers.add(response);
			if (response.getStatus().getCode() != 0) {
				this.failed = true;
				assertThat(Status.fromCodeValue(response.getStatus().getCode()).getCode())
					.as("failure status: " + response.getStatus().getDetails())
					.isIn(Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED);
				assertThat(response.getStatus().getDetails()).isNotBlank();
				return;
			}
			assertThat(response.getBytesConsumed()).as("bytes consumed of those sent").isBetween(0, this.sentBytes);
			this.out.writeBytes(response.getOutFrames().toByteArray());
			if (response.hasResult()) {
				this.result = response.getResult();
			}
		}

		@Override
		public void onError(Throwable t) {
			throw new AssertionError("the service failed its stream", t);
		}

		@Override
		public void onCompleted() {
			assertThat(this.failed).as("the stream ends only after a failure").isTrue();
			this.completed = true;
		}

	}

}
