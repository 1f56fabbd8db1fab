package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.alts.AltsPeer;
import io.github.readyread.grpc.alts.internal.AltsCrypter;
import io.github.readyread.grpc.alts.internal.AltsFuzzAccess;
import io.github.readyread.grpc.alts.internal.AltsProtocol;
import io.github.readyread.grpc.alts.internal.AltsRecordDecoder;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.alts.internal.HandshakeLimiter;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.HandshakerStatus;
import io.grpc.alts.internal.Identity;
import io.grpc.alts.internal.RpcProtocolVersions;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the ALTS handshake as the peer and as the handshaker service: the handshake
 * handler of a client or a server reads fuzzer bytes from the peer, split at
 * fuzzer-chosen reads, and talks to a scripted handshaker service that is either honest
 * (consumes the handshake's bytes, then answers with a usable result and
 * {@code bytes_consumed} short of what it was sent, the rest being records) or broken:
 * error statuses, more bytes consumed than sent, results with the wrong key length,
 * protocols, RPC versions or missing fields, huge {@code out_frames}, silence, a stream
 * that ends or fails.
 *
 * <p>
 * What must hold: the handshaker sees the peer's handshake bytes exactly, in order; the
 * peer gets exactly the {@code out_frames} of the answers the handler accepted; the
 * handshake succeeds exactly when an honest result arrives or a broken one passes the
 * checks an independent reading of the protocol makes, and otherwise fails once, with a
 * precise status, closing the connection; after an honest handshake the records behind
 * the handshake bytes (the {@code bytes_consumed} leftover, bytes that arrived while the
 * handshaker was busy, bytes after the end) decode to exactly their plaintext; every
 * permit is returned, nothing stays pinned in the pool.
 */
class AltsHandshakeFuzzTests {

	private static final byte[] KEY = new byte[AltsProtocol.KEY_LENGTH];

	static {
		for (int i = 0; i < KEY.length; i++) {
			KEY[i] = (byte) (i * 7 + 3);
		}
	}

	private static final ReadPathStats STATS = new ReadPathStats("fuzz");

	private static final ScriptedHandshaker HANDSHAKER = new ScriptedHandshaker();

	private static final HandshakeLimiter LIMITER = new HandshakeLimiter(4);

	private static final AltsHandshakeFailures FAILURES = new AltsHandshakeFailures();

	private static final AltsSettings SETTINGS = AltsSettings.of(HANDSHAKER, STATS)
		.withHandshakeTimeout(Duration.ofMinutes(10));

	@FuzzTest(maxDuration = "5m")
	void peerBytesAndHandshakerAnswers(FuzzedDataProvider data) throws Exception {
		boolean client = data.consumeBoolean();
		Script script = new Script(data, data.consumeBoolean(), data.consumeInt(0, 300));
		script.client = client;
		HANDSHAKER.script = script;

		// The peer: handshake bytes, then records sealed with the key the honest result
		// holds.
		byte[] handshake = data.consumeBytes(script.handshakeLength);
		AltsCrypter peerSender = AltsCrypter.forSending(KEY, !client);
		ByteArrayOutputStream records = new ByteArrayOutputStream();
		ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
		int count = data.consumeInt(0, 3);
		for (int i = 0; i < count; i++) {
			byte[] plain = data.consumeBytes(data.consumeInt(0, 300));
			plaintext.writeBytes(plain);
			records.writeBytes(AltsRecordDecoderFuzzTests.seal(peerSender, plain, FuzzPool.ALLOC));
		}
		byte[] peerBytes = AltsRecordDecoderFuzzTests.concat(handshake, records.toByteArray());
		List<byte[]> reads = AltsRecordDecoderFuzzTests.splitIntoReads(peerBytes, data, 400);

		Capture next = new Capture();
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(FuzzPool.ALLOC);
		channel.pipeline().addLast(AltsFuzzAccess.handshakeHandler(client, SETTINGS, LIMITER, FAILURES, next));
		// What grpc's negotiation fires once the connection is active.
		Status failure = AltsRecordDecoderFuzzTests
			.statusOf(() -> channel.pipeline().fireUserEventTriggered(InternalProtocolNegotiationEvent.getDefault()));
		// The handshaker's answers run as tasks of the event loop.
		failure = (failure != null) ? failure : AltsRecordDecoderFuzzTests.statusOf(channel::runPendingTasks);
		ByteArrayOutputStream sentToPeer = new ByteArrayOutputStream();
		int read = 0;
		for (; read < reads.size() && failure == null && channel.isOpen(); read++) {
			byte[] bytes = reads.get(read);
			failure = AltsRecordDecoderFuzzTests
				.statusOf(() -> channel.writeInbound(FuzzPool.ALLOC.directBuffer(bytes.length).writeBytes(bytes)));
			drainOutbound(channel, sentToPeer);
		}
		drainOutbound(channel, sentToPeer);
		boolean negotiated = next.peer != null;
		Status atClose = AltsRecordDecoderFuzzTests.statusOf(channel::close);
		Status atFinish = AltsRecordDecoderFuzzTests.statusOf(channel::finishAndReleaseAll);
		if (failure == null) {
			failure = (atClose != null) ? atClose : atFinish;
		}
		else {
			assertThat(atClose).as("a second failure after " + failure).isNull();
			assertThat(atFinish).as("a second failure after " + failure).isNull();
		}

		// What the handler did must be what the script leads to.
		if (client) {
			assertThat(script.requests).as("a client starts its handshake at once").isPositive();
		}
		assertThat(sentToPeer.toByteArray()).as("bytes sent to the peer: the accepted out_frames")
			.isEqualTo(script.acceptedOutFrames.toByteArray());
		assertThat(negotiated).as("handshake succeeded (script: " + script.outcome + ", failure: " + failure + ")")
			.isEqualTo(script.outcome == Outcome.ACCEPTABLE_RESULT);
		if (!script.broken) {
			byte[] seen = script.handshakeSeen.toByteArray();
			assertThat(seen).as("handshake bytes the handshaker saw")
				.isEqualTo(java.util.Arrays.copyOf(handshake, seen.length));
		}
		if (negotiated) {
			assertThat(next.peer.recordProtocol()).isEqualTo(AltsProtocol.RECORD_PROTOCOL);
			if (!script.broken) {
				assertThat(next.plaintext.toByteArray()).as("records behind the handshake bytes")
					.isEqualTo(plaintext.toByteArray());
				assertThat(failure).as("no failure after an honest handshake").isNull();
			}
		}
		else {
			assertThat(next.plaintext.size()).isZero();
			assertThat(failure).as("failure of a handshake that did not succeed").isNotNull();
			assertThat(failure.getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
			assertThat(failure.getDescription()).startsWith("ALTS ");
			if (script.outcome == Outcome.UNUSABLE_RESULT) {
				assertThat(failure.getDescription()).isEqualTo(script.unusable);
			}
			else {
				assertThat(failure.getDescription()).contains(script.outcome.failure);
			}
		}
		assertThat(LIMITER.active()).as("permits in use after the input").isZero();
		assertThat(LIMITER.queued()).as("handshakes queued after the input").isZero();
		FuzzPool.assertNothingHeld(STATS);
	}

	private static void drainOutbound(EmbeddedChannel channel, ByteArrayOutputStream into) {
		for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
			ByteBuf buf = (ByteBuf) out;
			into.writeBytes(ByteBufUtil.getBytes(buf));
			buf.release();
		}
	}

	/**
	 * Whether {@code result} can be used, read from the protocol rather than from the
	 * handler: the record and application protocols we asked for, 44 bytes of key data or
	 * more, and an RPC version range that includes our 2.1.
	 */
	static boolean usable(HandshakerResult result) {
		RpcProtocolVersions peer = result.getPeerRpcVersions();
		return AltsProtocol.RECORD_PROTOCOL.equals(result.getRecordProtocol())
				&& AltsProtocol.APPLICATION_PROTOCOL.equals(result.getApplicationProtocol())
				&& result.getKeyData().size() >= AltsProtocol.KEY_LENGTH && atLeast21(peer.getMaxRpcVersion())
				&& atMost21(peer.getMinRpcVersion());
	}

	private static boolean atLeast21(RpcProtocolVersions.Version version) {
		return version.getMajor() > 2 || (version.getMajor() == 2 && version.getMinor() >= 1);
	}

	private static boolean atMost21(RpcProtocolVersions.Version version) {
		return version.getMajor() < 2 || (version.getMajor() == 2 && version.getMinor() <= 1);
	}

	/** How an input's handshake ends, as the script decided it. */
	enum Outcome {

		PEER_CLOSED("connection closed by the peer"), ACCEPTABLE_RESULT(""), UNUSABLE_RESULT(null),
		HANDSHAKER_STATUS("handshaker service error: code"), OVERCONSUMED("handshaker consumed"),
		HANDSHAKER_COMPLETED("ended the handshake without a result"),
		HANDSHAKER_FAILED("handshaker service failed: UNAVAILABLE");

		final String failure;

		Outcome(String failure) {
			this.failure = failure;
		}

	}

	/** The handshaker service's answers for one input. */
	static final class Script {

		final FuzzedDataProvider data;

		final boolean broken;

		final int handshakeLength;

		final ByteArrayOutputStream handshakeSeen = new ByteArrayOutputStream();

		final ByteArrayOutputStream acceptedOutFrames = new ByteArrayOutputStream();

		Outcome outcome = Outcome.PEER_CLOSED;

		/** Why the handler must refuse the result it was given. */
		String unusable;

		int requests;

		boolean client;

		Script(FuzzedDataProvider data, boolean broken, int handshakeLength) {
			this.data = data;
			this.broken = broken;
			this.handshakeLength = handshakeLength;
		}

		/** Answers one request, or nothing. */
		void answer(HandshakerReq request, ClientCall.Listener<HandshakerResp> listener) {
			this.requests++;
			if (this.outcome != Outcome.PEER_CLOSED) {
				throw new AssertionError("request after the handshake ended (" + this.outcome + "): " + request);
			}
			ByteString in = switch (request.getReqOneofCase()) {
				case SERVER_START -> request.getServerStart().getInBytes();
				case NEXT -> request.getNext().getInBytes();
				default -> ByteString.EMPTY;
			};
			int behaviour = this.broken ? this.data.consumeInt(0, 7) : 0;
			byte[] outFrames = this.data.consumeBytes(this.data.consumeInt(0, 64));
			if (behaviour == 7) {
				outFrames = new byte[this.data.pickValue(new int[] { 65536, 1024 * 1024 + 1 })];
			}
			HandshakerResp.Builder response = HandshakerResp.newBuilder()
				.setOutFrames(ByteString.copyFrom(outFrames))
				.setStatus(HandshakerStatus.newBuilder().setCode(0));
			int seen = this.handshakeSeen.size();
			switch (behaviour) {
				case 1 -> {
					response.setStatus(HandshakerStatus.newBuilder()
						.setCode(this.data.consumeInt(1, 16))
						.setDetails(this.data.consumeAsciiString(20)));
					this.outcome = Outcome.HANDSHAKER_STATUS;
					listener.onMessage(response.build());
					return;
				}
				case 2 -> {
					response.setBytesConsumed(in.size() + this.data.consumeInt(1, 1000));
					this.outcome = Outcome.OVERCONSUMED;
					listener.onMessage(response.build());
					return;
				}
				case 3 -> {
					HandshakerResult result = brokenResult();
					response.setBytesConsumed(this.data.consumeInt(0, in.size())).setResult(result);
					this.outcome = usable(result) ? Outcome.ACCEPTABLE_RESULT : Outcome.UNUSABLE_RESULT;
					this.unusable = AltsFuzzAccess.checkResult(result, this.client);
					this.acceptedOutFrames.writeBytes(outFrames);
					listener.onMessage(response.build());
					return;
				}
				case 4 -> {
					// silence: the handshake waits until the peer closes
					this.outcome = Outcome.PEER_CLOSED;
					return;
				}
				case 5 -> {
					this.outcome = Outcome.HANDSHAKER_COMPLETED;
					listener.onClose(Status.OK, new Metadata());
					return;
				}
				case 6 -> {
					this.outcome = Outcome.HANDSHAKER_FAILED;
					listener.onClose(Status.UNAVAILABLE.withDescription("handshaker gone"), new Metadata());
					return;
				}
				default -> {
					// honest (behaviour 0, or 7: honest with huge out_frames)
				}
			}
			int consumed = Math.min(in.size(), this.handshakeLength - seen);
			this.handshakeSeen.writeBytes(in.substring(0, consumed).toByteArray());
			response.setBytesConsumed(consumed);
			this.acceptedOutFrames.writeBytes(outFrames);
			if (this.handshakeSeen.size() == this.handshakeLength
					&& (request.hasNext() || request.hasServerStart() || this.handshakeLength == 0)) {
				response.setResult(honestResult());
				this.outcome = Outcome.ACCEPTABLE_RESULT;
			}
			listener.onMessage(response.build());
		}

		private HandshakerResult honestResult() {
			byte[] key = java.util.Arrays.copyOf(KEY, KEY.length + this.data.pickValue(new int[] { 0, 0, 1, 84 }));
			return HandshakerResult.newBuilder()
				.setApplicationProtocol(AltsProtocol.APPLICATION_PROTOCOL)
				.setRecordProtocol(AltsProtocol.RECORD_PROTOCOL)
				.setKeyData(ByteString.copyFrom(key))
				.setPeerIdentity(Identity.newBuilder().setServiceAccount("peer@fuzz"))
				.setLocalIdentity(Identity.newBuilder().setServiceAccount("local@fuzz"))
				.setPeerRpcVersions(versions(2, 1, 2, 1))
				.setMaxFrameSize(this.data.pickValue(new int[] { 0, 16384, 131072 }))
				.build();
		}

		private HandshakerResult brokenResult() {
			HandshakerResult.Builder result = HandshakerResult.newBuilder();
			String record = this.data.pickValue(new String[] { AltsProtocol.RECORD_PROTOCOL, "", "ALTSRP_GCM_AES128",
					AltsProtocol.RECORD_PROTOCOL + " " });
			result.setRecordProtocol(record);
			result.setApplicationProtocol(this.data.pickValue(new String[] { "grpc", "", "h2", "GRPC" }));
			result.setKeyData(ByteString.copyFrom(new byte[this.data.pickValue(new int[] { 0, 43, 44, 45, 128 })]));
			if (this.data.consumeBoolean()) {
				int[][] versions = { { 0, 0 }, { 1, 9 }, { 2, 0 }, { 2, 1 }, { 2, 2 }, { 3, 0 } };
				int[] max = this.data.pickValue(versions);
				int[] min = this.data.pickValue(versions);
				result.setPeerRpcVersions(versions(max[0], max[1], min[0], min[1]));
			}
			if (this.data.consumeBoolean()) {
				result.setPeerIdentity(Identity.newBuilder().setServiceAccount(this.data.consumeAsciiString(20)));
			}
			result.setMaxFrameSize(this.data.pickValue(new int[] { 0, 1, 16384, 131072, 1 << 20, -1 }));
			return result.build();
		}

		private static RpcProtocolVersions versions(int maxMajor, int maxMinor, int minMajor, int minMinor) {
			return RpcProtocolVersions.newBuilder()
				.setMaxRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(maxMajor).setMinor(maxMinor))
				.setMinRpcVersion(RpcProtocolVersions.Version.newBuilder().setMajor(minMajor).setMinor(minMinor))
				.build();
		}

	}

	/**
	 * A handshaker service channel whose calls answer from the current input's script.
	 */
	static final class ScriptedHandshaker extends io.grpc.Channel {

		volatile Script script;

		@Override
		@SuppressWarnings("unchecked")
		public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
			return (ClientCall<Q, R>) new Call(this.script);
		}

		@Override
		public String authority() {
			return "scripted-handshaker";
		}

	}

	private static final class Call extends ClientCall<HandshakerReq, HandshakerResp> {

		private final Script script;

		private Listener<HandshakerResp> listener;

		private boolean closed;

		Call(Script script) {
			this.script = script;
		}

		@Override
		public void start(Listener<HandshakerResp> listener, Metadata headers) {
			this.listener = listener;
		}

		@Override
		public void request(int numMessages) {
		}

		@Override
		public void cancel(String message, Throwable cause) {
			close(Status.CANCELLED.withDescription(message).withCause(cause));
		}

		@Override
		public void halfClose() {
			close(Status.OK);
		}

		@Override
		public void sendMessage(HandshakerReq message) {
			if (!this.closed) {
				this.script.answer(message, new Listener<>() {
					@Override
					public void onMessage(HandshakerResp response) {
						Call.this.listener.onMessage(response);
					}

					@Override
					public void onClose(Status status, Metadata trailers) {
						close(status);
					}
				});
			}
		}

		private void close(Status status) {
			if (!this.closed) {
				this.closed = true;
				this.listener.onClose(status, new Metadata());
			}
		}

	}

	/**
	 * Stands for grpc's HTTP/2 handler: takes the negotiation event and the plaintext.
	 */
	static final class Capture extends ChannelInboundHandlerAdapter {

		AltsPeer peer;

		final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();

		@Override
		public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
			if (GrpcNettyBridge.isNegotiationEvent(evt)) {
				this.peer = GrpcNettyBridge.attributes(evt).get(AltsPeer.KEY);
				assertThat(ctx.pipeline().get(AltsRecordDecoder.class)).as("record decoder in place").isNotNull();
			}
			ctx.fireUserEventTriggered(evt);
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ByteBuf buf = (ByteBuf) msg;
			this.plaintext.writeBytes(ByteBufUtil.getBytes(buf));
			buf.release();
		}

	}

}
