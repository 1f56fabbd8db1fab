package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
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
import io.grpc.StatusRuntimeException;
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
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
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
 * that ends or fails. The handshaker's answers are held back and handed to the handler at
 * fuzzer-chosen points between the reads, so the peer's bytes also arrive while a request
 * is with the handshaker; the peer may close while one is. The answer out at that close
 * may still be with the handshaker (the handler's cancel drops it), or already handed to
 * the handler and queued on its event loop: behind the task of a read that saw the close
 * (the socket is closed, then the answer's task runs, then {@code channelInactive}), or
 * arriving from grpc while the handler, closed, cancels the call (its task runs after
 * {@code channelInactive}). The write of an accepted answer's {@code out_frames} may fail
 * at once on the open connection, as a reset during the flush or an outbound handler
 * failing its promise does: the wire releases the bytes and passes nothing on.
 *
 * <p>
 * What must hold, worked out from the script and the peer's bytes, never from what the
 * handler did: each request carries the peer's bytes that follow those the handshaker
 * consumed so far, in order; the peer gets exactly the {@code out_frames} of the answers
 * the handler accepted, and nothing else is written towards it, not even after it closed;
 * an answer queued when the peer closed counts for nothing: the handshake fails as the
 * peer's close, as when the answer was still with the handshaker; an answer whose
 * {@code out_frames} could not be written counts for nothing either, whatever else it
 * held (a result too): the handshake fails once as the peer's close ({@code UNAVAILABLE},
 * "could not send handshake bytes", the write's exception as cause), no negotiation
 * event, no record layer, no plaintext, the handshaker call cancelled once; a handshake
 * the handshaker did not decide (it answered every request and was not silent) can end
 * only by the peer's close, so a handler that holds bytes back fails the input; with an
 * honest handshaker the handshake succeeds whenever the peer sent its bytes and did not
 * close while the handshaker was busy, and every write went through; otherwise it
 * succeeds exactly when a result passes the checks an independent reading of the protocol
 * makes, and else fails once (one failure recorded), with the exact status and
 * description, closing the connection; after an honest result the bytes behind those
 * consumed (the {@code bytes_consumed} leftover, bytes that arrived while the handshaker
 * was busy, bytes after the end) decode to exactly their plaintext, after an accepted
 * broken result (its key is not the peer's) they fail the record layer with its precise
 * status, and nothing at all follows when no byte is left; no other exception escapes,
 * and the handshaker call is not used after the handler cancelled it (grpc would throw);
 * every permit is returned, nothing stays pinned in the pool.
 */
class AltsHandshakeFuzzTests {

	private static final byte[] KEY = new byte[AltsProtocol.KEY_LENGTH];

	static {
		for (int i = 0; i < KEY.length; i++) {
			KEY[i] = (byte) (i * 7 + 3);
		}
	}

	/**
	 * A step's byte shifted right by one (its lowest bit chooses the step) that fails the
	 * write of the out_frames of the answer handed over.
	 */
	private static final int FAILING_WRITE = 0x7E;

	private static final ReadPathStats STATS = new ReadPathStats("fuzz");

	private static final ScriptedHandshaker HANDSHAKER = new ScriptedHandshaker();

	private static final HandshakeLimiter LIMITER = new HandshakeLimiter(4);

	private static final AltsHandshakeFailures FAILURES = new AltsHandshakeFailures();

	private static final AltsSettings SETTINGS = AltsSettings.of(HANDSHAKER, STATS)
		.withHandshakeTimeout(Duration.ofMinutes(10));

	/** What the record layer reports about bytes that are not records of its key. */
	private static final String RECORD_LAYER_FAILURE = "ALTS (frame length \\d+ is below the minimum \\d+ \\(type and tag\\)"
			+ "|frame length \\d+ exceeds the maximum .*|frame type \\d+ is not the record type 6"
			+ "|record authentication failed .*|connection closed in the middle of a frame.*)";

	@FuzzTest(maxDuration = "5m")
	void peerBytesAndHandshakerAnswers(FuzzedDataProvider data) throws Exception {
		boolean client = data.consumeBoolean();
		boolean broken = data.consumeBoolean();
		int handshakeLength = data.consumeInt(0, 300);

		// The peer: handshake bytes, then records sealed with the key the honest result
		// holds.
		byte[] handshake = data.consumeBytes(handshakeLength);
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
		// The handshake as the peer sent it: the fuzzer may have had fewer bytes than
		// asked for.
		Script script = new Script(data, broken, client, handshake.length, peerBytes);
		HANDSHAKER.script = script;

		Capture next = new Capture();
		Wire wire = new Wire();
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(FuzzPool.ALLOC);
		channel.pipeline().addLast(wire);
		channel.pipeline().addLast(AltsFuzzAccess.handshakeHandler(client, SETTINGS, LIMITER, FAILURES, next));
		long failuresBefore = FAILURES.total();
		long peerClosedBefore = FAILURES.count(client, AltsHandshakeFailures.Reason.PEER_CLOSED);
		// What grpc's negotiation fires once the connection is active.
		Status failure = step(channel,
				() -> channel.pipeline().fireUserEventTriggered(InternalProtocolNegotiationEvent.getDefault()));
		ByteArrayOutputStream sentToPeer = new ByteArrayOutputStream();
		drainOutbound(channel, sentToPeer);
		// Reads and the handshaker's answers, interleaved as the fuzzer says; the peer
		// may close while the handshaker has a request.
		int read = 0;
		boolean closedWhileHandshakerBusy = false;
		LateAnswer lateAnswer = LateAnswer.NONE;
		while (failure == null && channel.isOpen()) {
			boolean canRead = read < reads.size();
			boolean canAnswer = script.held != null;
			if (!canRead && !canAnswer) {
				break;
			}
			// One byte per step with an answer held, read as the boolean it was before
			// the failing write existed: its lowest bit chooses (with nothing left to
			// read, odd: the peer closes, even: the answer is handed over; else odd: the
			// answer, even: the next read). Its other bits, unused before, can fail the
			// write of the out_frames of the answer it hands over: the byte is 252 or
			// 253, which no committed input from before reads at such a step (47 steps
			// in 20 of them), so they all decode and run as before.
			int choice = canAnswer ? data.consumeInt(0, 255) : 0;
			boolean odd = (choice & 1) == 1;
			if (canAnswer && !canRead && odd) {
				closedWhileHandshakerBusy = true;
				// Chosen last: an input that ends here leaves the answer with the
				// handshaker, as before this choice existed.
				lateAnswer = data.pickValue(LateAnswer.values());
				break;
			}
			if (canAnswer && (!canRead || odd)) {
				boolean writeFails = (choice >> 1) == FAILING_WRITE && script.held.writesOutFrames()
						&& !script.held.call().closed;
				wire.failNextWrite = writeFails;
				failure = step(channel, () -> script.release(writeFails));
				wire.failNextWrite = false;
			}
			else {
				byte[] bytes = reads.get(read++);
				script.delivered += bytes.length;
				failure = step(channel,
						() -> channel.writeInbound(FuzzPool.ALLOC.directBuffer(bytes.length).writeBytes(bytes)));
			}
			drainOutbound(channel, sentToPeer);
		}
		drainOutbound(channel, sentToPeer);
		Status atClose = switch (lateAnswer) {
			case NONE -> step(channel, () -> {
				// What is queued runs first, as when the peer closes after it.
				channel.runPendingTasks();
				peerCloses(channel);
			});
			case QUEUED_BEFORE_CLOSE -> step(channel, () -> {
				script.handOverLate();
				peerCloses(channel);
			});
			case QUEUED_AFTER_CLOSE -> step(channel, () -> {
				peerCloses(channel);
				script.handOverLate();
			});
		};
		drainOutbound(channel, sentToPeer);
		boolean negotiated = next.peer != null;
		Status atFinish = statusOf(channel::finishAndReleaseAll);
		// The handshaker call ends with the handshake: finished, or cancelled (which
		// drops an answer still held when the peer closed).
		assertThat(script.call == null || script.call.closed).as("handshaker call ended with the connection").isTrue();
		assertThat((script.call != null) ? script.call.cancels : 0).as("cancels of the handshaker call")
			.isLessThanOrEqualTo(1);
		if (failure == null) {
			failure = (atClose != null) ? atClose : atFinish;
		}
		else {
			assertThat(atClose).as("a second failure after " + failure).isNull();
			assertThat(atFinish).as("a second failure after " + failure).isNull();
		}

		// What the handler did must be what the script and the peer's bytes lead to.
		assertThat(script.problems).as("requests the handshaker got").isEmpty();
		if (client) {
			assertThat(script.requests).as("a client starts its handshake at once").isPositive();
		}
		assertThat(sentToPeer.toByteArray()).as("bytes sent to the peer: the accepted out_frames")
			.isEqualTo(script.acceptedOutFrames.toByteArray());
		// Also what the handler wrote after the close, which the closed channel dropped.
		assertThat(wire.written.size()).as("bytes written towards the peer: the accepted out_frames' length")
			.isEqualTo(script.acceptedOutFrames.size());
		assertThat(wire.written.toByteArray()).as("bytes written towards the peer: the accepted out_frames")
			.isEqualTo(script.acceptedOutFrames.toByteArray());
		assertThat(wire.failed.toByteArray()).as("bytes of the write that failed: the out_frames of its answer")
			.isEqualTo(script.failedOutFrames.toByteArray());
		boolean writeFailed = script.outcome == Outcome.SEND_FAILED;
		// A server starts its handshake with the client's first bytes.
		boolean started = client || peerBytes.length > 0;
		String state = "script: " + script.outcome + (script.silent ? ", silent" : "") + ", consumed " + script.consumed
				+ " of " + peerBytes.length + " peer bytes (" + handshake.length
				+ " handshake), closed while the handshaker was busy: " + closedWhileHandshakerBusy + ", late answer: "
				+ lateAnswer + ", write failed: " + writeFailed + ", failure: " + failure;
		if (started && !closedWhileHandshakerBusy) {
			// Every byte was read and every answer handed over: a handshaker that was
			// neither silent nor done consumed the whole handshake and decided.
			assertThat(script.outcome != Outcome.PEER_CLOSED || script.silent)
				.as("handshake decided once the peer's bytes and the handshaker's answers were all in (" + state + ")")
				.isTrue();
		}
		if (!broken) {
			assertThat(negotiated).as("honest handshake succeeded (" + state + ")")
				.isEqualTo(started && !closedWhileHandshakerBusy && !writeFailed);
		}
		assertThat(negotiated).as("handshake succeeded (" + state + ")")
			.isEqualTo(script.outcome == Outcome.ACCEPTABLE_RESULT);
		assertThat(next.added).as("record layer installed (" + state + ")").isEqualTo(negotiated);
		if (negotiated) {
			assertThat(next.peer.recordProtocol()).isEqualTo(AltsProtocol.RECORD_PROTOCOL);
			if (script.honestResult) {
				assertThat(script.consumed).as("bytes the handshaker consumed: the handshake")
					.isEqualTo(handshake.length);
				assertThat(next.plaintext.toByteArray()).as("records behind the handshake bytes")
					.isEqualTo(plaintext.toByteArray());
				assertThat(failure).as("no failure after an honest handshake").isNull();
			}
			else {
				// The broken result's key is not the peer's: no record behind the
				// consumed bytes is authentic.
				assertThat(next.plaintext.size()).as("plaintext after a broken result").isZero();
				if (script.consumed == peerBytes.length) {
					assertThat(failure).as("failure with no byte behind the broken result").isNull();
				}
				else {
					assertThat(failure)
						.as("failure with " + (peerBytes.length - script.consumed) + " bytes behind the broken result")
						.isNotNull();
					assertThat(failure.getDescription()).matches(RECORD_LAYER_FAILURE);
					assertThat(failure.getCode())
						.isEqualTo(failure.getDescription().startsWith("ALTS connection closed")
								? Status.Code.UNAVAILABLE : Status.Code.INTERNAL);
				}
			}
		}
		else {
			assertThat(next.plaintext.size()).isZero();
			assertThat(failure).as("failure of a handshake that did not succeed (" + state + ")").isNotNull();
			assertThat(failure.getCode()).as("status code of " + failure).isEqualTo(script.outcome.code);
			if (script.expectedFailure != null) {
				assertThat(failure.getDescription()).isEqualTo(script.expectedFailure);
			}
			else {
				assertThat(failure.getDescription()).startsWith(script.outcome.failure);
			}
		}
		assertThat(FAILURES.total() - failuresBefore).as("handshake failures recorded (" + state + ")")
			.isEqualTo(negotiated ? 0 : 1);
		if (lateAnswer != LateAnswer.NONE) {
			assertThat(FAILURES.count(client, AltsHandshakeFailures.Reason.PEER_CLOSED) - peerClosedBefore)
				.as("a late answer's handshake fails as the peer's close (" + state + ")")
				.isEqualTo(1);
		}
		if (writeFailed) {
			assertThat(FAILURES.count(client, AltsHandshakeFailures.Reason.PEER_CLOSED) - peerClosedBefore)
				.as("a failed write's handshake fails as the peer's close (" + state + ")")
				.isEqualTo(1);
			assertThat(failure.getCause()).as("cause of " + failure).isSameAs(wire.failure);
			assertThat(script.call.cancels).as("cancels of the handshaker call (" + state + ")").isEqualTo(1);
		}
		assertThat(LIMITER.active()).as("permits in use after the input").isZero();
		assertThat(LIMITER.queued()).as("handshakes queued after the input").isZero();
		FuzzPool.assertNothingHeld(STATS);
	}

	/**
	 * Runs {@code action} and the tasks it queued on the channel's event loop (the
	 * handshaker's answers, a granted permit), then surfaces what reached the end of the
	 * pipeline.
	 */
	private static Status step(EmbeddedChannel channel, AltsRecordDecoderFuzzTests.ThrowingRunnable action)
			throws Exception {
		return statusOf(() -> {
			action.run();
			channel.runPendingTasks();
			channel.checkException();
		});
	}

	/**
	 * The status {@code action} failed with, {@code null} if it did not fail. Only a gRPC
	 * status is a failure the handler may report: any other exception (a null pointer, a
	 * buffer released twice) fails the input.
	 */
	private static Status statusOf(AltsRecordDecoderFuzzTests.ThrowingRunnable action) throws Exception {
		try {
			action.run();
			return null;
		}
		catch (StatusRuntimeException ex) {
			assertThat(ex.getStatus().getDescription()).as("failure description").isNotBlank();
			return ex.getStatus();
		}
	}

	/**
	 * The peer's close as the event loop sees it when a read ends the stream: the socket
	 * is closed at once and {@code channelInactive} runs as a task behind those already
	 * queued (unlike {@link EmbeddedChannel#close()}, which runs them first). The
	 * embedded channel also runs queued tasks inside other operations (a write, turning
	 * auto-read on), so a handler that acts on a late answer may meet
	 * {@code channelInactive} and the pipeline's teardown in the middle of it; either way
	 * the input fails.
	 */
	private static void peerCloses(EmbeddedChannel channel) {
		channel.unsafe().close(channel.voidPromise());
	}

	private static void drainOutbound(EmbeddedChannel channel, ByteArrayOutputStream into) {
		for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
			ByteBuf buf = (ByteBuf) out;
			into.writeBytes(ByteBufUtil.getBytes(buf));
			buf.release();
		}
	}

	/**
	 * Why {@code result} cannot be used, {@code null} if it can, read from the protocol
	 * rather than from the handler's checks: the record and application protocols we
	 * asked for, 44 bytes of key data or more, and an RPC version range that includes our
	 * 2.1 (an unset range is 0.0-0.0), checked in that order.
	 */
	static String refusal(HandshakerResult result) {
		if (!"ALTSRP_GCM_AES128_REKEY".equals(result.getRecordProtocol())) {
			return "ALTS handshake result has record protocol '" + result.getRecordProtocol()
					+ "', expected ALTSRP_GCM_AES128_REKEY";
		}
		if (!"grpc".equals(result.getApplicationProtocol())) {
			return "ALTS handshake result has application protocol '" + result.getApplicationProtocol()
					+ "', expected grpc";
		}
		if (result.getKeyData().size() < 44) {
			return "ALTS handshake result has " + result.getKeyData().size() + " bytes of key data, need 44";
		}
		RpcProtocolVersions peer = result.getPeerRpcVersions();
		if (!atLeast21(peer.getMaxRpcVersion()) || !atMost21(peer.getMinRpcVersion())) {
			return "ALTS peer RPC protocol versions " + peer.getMinRpcVersion().getMajor() + "."
					+ peer.getMinRpcVersion().getMinor() + "-" + peer.getMaxRpcVersion().getMajor() + "."
					+ peer.getMaxRpcVersion().getMinor() + " are not compatible with local 2.1-2.1";
		}
		return null;
	}

	private static boolean atLeast21(RpcProtocolVersions.Version version) {
		return version.getMajor() > 2 || (version.getMajor() == 2 && version.getMinor() >= 1);
	}

	private static boolean atMost21(RpcProtocolVersions.Version version) {
		return version.getMajor() < 2 || (version.getMajor() == 2 && version.getMinor() <= 1);
	}

	/** How an input's handshake ends, as the handshaker's answers decided it. */
	enum Outcome {

		PEER_CLOSED(Status.Code.UNAVAILABLE, "ALTS handshake failed: connection closed by the peer"),
		ACCEPTABLE_RESULT(null, null), UNUSABLE_RESULT(Status.Code.UNAVAILABLE, null),
		HANDSHAKER_STATUS(Status.Code.UNAVAILABLE, null), OVERCONSUMED(Status.Code.INTERNAL, null),
		HANDSHAKER_COMPLETED(Status.Code.UNAVAILABLE, null), HANDSHAKER_FAILED(Status.Code.UNAVAILABLE, null),

		/**
		 * The write of an answer's {@code out_frames} failed on the open connection:
		 * whatever else the answer held (a result too) counts for nothing.
		 */
		SEND_FAILED(Status.Code.UNAVAILABLE, "ALTS handshake failed: could not send handshake bytes");

		final Status.Code code;

		/**
		 * How the failure's description starts, where the script does not know it whole.
		 */
		final String failure;

		Outcome(Status.Code code, String failure) {
			this.code = code;
			this.failure = failure;
		}

	}

	/**
	 * Where the handshaker's held answer is when the peer closes while a request is out.
	 */
	enum LateAnswer {

		/** Still with the handshaker: the handler's cancel drops it. */
		NONE,

		/**
		 * Handed to the handler's event loop and queued there when the peer's close is
		 * read: the socket closes first, then the answer's task runs, then
		 * {@code channelInactive}.
		 */
		QUEUED_BEFORE_CLOSE,

		/**
		 * On its way from grpc when the handler, closed by the peer, cancels the call:
		 * its task runs after {@code channelInactive}.
		 */
		QUEUED_AFTER_CLOSE

	}

	/**
	 * An answer the handshaker decided on and holds until the fuzzer hands it over; what
	 * it means for the handshake counts only once it is handed over.
	 */
	record Answer(Call call, Outcome outcome, String expectedFailure, boolean honestResult, int consumed,
			byte[] acceptedOutFrames, Runnable deliver) {

		/** Whether the handler, accepting this answer, writes out_frames to the peer. */
		boolean writesOutFrames() {
			return this.acceptedOutFrames != null && this.acceptedOutFrames.length > 0;
		}

	}

	/** The handshaker service's answers for one input. */
	static final class Script {

		final FuzzedDataProvider data;

		final boolean broken;

		final boolean client;

		final int handshakeLength;

		/** Everything the peer sends: the handshake, then records. */
		final byte[] peerBytes;

		final ByteArrayOutputStream acceptedOutFrames = new ByteArrayOutputStream();

		/** The out_frames of the answer whose write failed. */
		final ByteArrayOutputStream failedOutFrames = new ByteArrayOutputStream();

		/** What was wrong with the requests, as they came. */
		final List<String> problems = new ArrayList<>();

		/** Peer bytes read by the handler so far. */
		int delivered;

		/** Peer bytes the handshaker consumed, as the answers handed over say. */
		int consumed;

		/** The handshake's call to the handshaker, {@code null} before one is made. */
		Call call;

		/** The answer decided and not handed over yet, {@code null} if none. */
		Answer held;

		Outcome outcome = Outcome.PEER_CLOSED;

		/**
		 * The failure's exact description, {@code null} where the outcome's prefix says
		 * it.
		 */
		String expectedFailure;

		/** Whether the result handed over was the honest one, with the peer's key. */
		boolean honestResult;

		/** Whether the handshaker went silent (it answers nothing from then on). */
		boolean silent;

		int requests;

		Script(FuzzedDataProvider data, boolean broken, boolean client, int handshakeLength, byte[] peerBytes) {
			this.data = data;
			this.broken = broken;
			this.client = client;
			this.handshakeLength = handshakeLength;
			this.peerBytes = peerBytes;
		}

		/** Takes one request and decides its answer, or silence; holds the answer. */
		void request(HandshakerReq request, Call call) {
			this.requests++;
			ByteString in = switch (request.getReqOneofCase()) {
				case SERVER_START -> request.getServerStart().getInBytes();
				case NEXT -> request.getNext().getInBytes();
				default -> ByteString.EMPTY;
			};
			check(request, in);
			int behaviour = this.broken ? this.data.consumeInt(0, 7) : 0;
			byte[] outFrames = this.data.consumeBytes(this.data.consumeInt(0, 64));
			if (behaviour == 7) {
				outFrames = new byte[this.data.pickValue(new int[] { 65536, 1024 * 1024 + 1 })];
			}
			HandshakerResp.Builder response = HandshakerResp.newBuilder()
				.setOutFrames(ByteString.copyFrom(outFrames))
				.setStatus(HandshakerStatus.newBuilder().setCode(0));
			switch (behaviour) {
				case 1 -> {
					int code = this.data.consumeInt(1, 16);
					String details = this.data.consumeAsciiString(20);
					response.setStatus(HandshakerStatus.newBuilder().setCode(code).setDetails(details));
					hold(call, Outcome.HANDSHAKER_STATUS,
							"ALTS handshaker service error: code " + code + ": " + details, 0, null, response.build());
					return;
				}
				case 2 -> {
					// bytes_consumed is a uint32: 2^31 and above reach Java negative. The
					// sign bit is set with |, not +: Jazzer's consumeInt(0, MAX_VALUE)
					// can
					// return MIN_VALUE (a full-range quirk), which + turned into 0, an
					// honest
					// answer the script counted as over-consumption.
					int consumed = this.data.consumeBoolean() ? in.size() + this.data.consumeInt(1, 1000)
							: Integer.MIN_VALUE | this.data.consumeInt(0, Integer.MAX_VALUE);
					response.setBytesConsumed(consumed);
					hold(call, Outcome.OVERCONSUMED,
							"ALTS handshaker consumed " + Integer.toUnsignedLong(consumed) + " bytes of " + in.size(),
							0, null, response.build());
					return;
				}
				case 3 -> {
					HandshakerResult result = brokenResult();
					int consumed = this.data.consumeInt(0, in.size());
					response.setBytesConsumed(consumed).setResult(result);
					String refusal = refusal(result);
					hold(call, (refusal != null) ? Outcome.UNUSABLE_RESULT : Outcome.ACCEPTABLE_RESULT, refusal,
							consumed, outFrames, response.build());
					return;
				}
				case 4 -> {
					// silence: the handshake waits until the peer closes
					this.silent = true;
					return;
				}
				case 5 -> {
					this.held = new Answer(call, Outcome.HANDSHAKER_COMPLETED,
							"ALTS handshaker service ended the handshake without a result", false, 0, null,
							() -> call.close(Status.OK));
					return;
				}
				case 6 -> {
					this.held = new Answer(call, Outcome.HANDSHAKER_FAILED,
							"ALTS handshaker service failed: UNAVAILABLE: handshaker gone", false, 0, null,
							() -> call.close(Status.UNAVAILABLE.withDescription("handshaker gone")));
					return;
				}
				default -> {
					// honest (behaviour 0, or 7: honest with huge out_frames)
				}
			}
			int consumed = Math.min(in.size(), this.handshakeLength - this.consumed);
			response.setBytesConsumed(consumed);
			if (this.consumed + consumed == this.handshakeLength
					&& (request.hasNext() || request.hasServerStart() || this.handshakeLength == 0)) {
				response.setResult(honestResult());
				this.held = new Answer(call, Outcome.ACCEPTABLE_RESULT, null, true, consumed, outFrames,
						() -> call.deliver(response.build()));
				return;
			}
			this.held = new Answer(call, null, null, false, consumed, outFrames, () -> call.deliver(response.build()));
		}

		/**
		 * A request must come while no answer is held, before the handshake is decided,
		 * and carry the peer's bytes that follow those consumed, in order.
		 */
		private void check(HandshakerReq request, ByteString in) {
			if (this.held != null) {
				this.problems.add("request while the handshaker held an answer: " + request.getReqOneofCase());
			}
			if (this.outcome != Outcome.PEER_CLOSED || this.silent) {
				this.problems
					.add("request after the handshake was decided (" + this.outcome + ", silent " + this.silent + ")");
			}
			int end = this.consumed + in.size();
			if (end > this.delivered || !in.equals(ByteString.copyFrom(this.peerBytes, this.consumed, in.size()))) {
				this.problems.add("in_bytes of " + request.getReqOneofCase() + ": " + in.size()
						+ " bytes that are not the peer's bytes " + this.consumed + " to " + end + " (" + this.delivered
						+ " read)");
			}
		}

		private void hold(Call call, Outcome outcome, String expectedFailure, int consumed, byte[] acceptedOutFrames,
				HandshakerResp response) {
			this.held = new Answer(call, outcome, expectedFailure, false, consumed, acceptedOutFrames,
					() -> call.deliver(response));
		}

		/**
		 * Hands the held answer over, unless the handler cancelled the call meanwhile
		 * (grpc delivers nothing after a cancel). If {@code writeFails} (the answer has
		 * out_frames), their write fails on the open connection: the peer gets none of
		 * them and the handshake fails as the peer's close, whatever else the answer
		 * said.
		 */
		void release(boolean writeFails) {
			Answer answer = this.held;
			this.held = null;
			if (answer.call().closed) {
				return;
			}
			this.consumed += answer.consumed();
			if (writeFails) {
				this.outcome = Outcome.SEND_FAILED;
				this.expectedFailure = Outcome.SEND_FAILED.failure;
				this.honestResult = false;
				this.failedOutFrames.writeBytes(answer.acceptedOutFrames());
			}
			else {
				if (answer.outcome() != null) {
					this.outcome = answer.outcome();
					this.expectedFailure = answer.expectedFailure();
					this.honestResult = answer.honestResult();
				}
				if (answer.acceptedOutFrames() != null) {
					this.acceptedOutFrames.writeBytes(answer.acceptedOutFrames());
				}
			}
			answer.deliver().run();
		}

		/**
		 * Hands the held answer over after the peer's close: grpc delivers it whether or
		 * not the handler cancelled the call meanwhile (a message already on its way; a
		 * stream end only if the call had not ended). It comes too late to count: nothing
		 * of it is expected.
		 */
		void handOverLate() {
			Answer answer = this.held;
			this.held = null;
			answer.deliver().run();
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
			Call call = new Call(this.script);
			this.script.call = call;
			return (ClientCall<Q, R>) call;
		}

		@Override
		public String authority() {
			return "scripted-handshaker";
		}

	}

	static final class Call extends ClientCall<HandshakerReq, HandshakerResp> {

		private final Script script;

		private Listener<HandshakerResp> listener;

		boolean closed;

		/** Whether the handler cancelled the call: grpc then refuses to go on with it. */
		private boolean cancelled;

		int cancels;

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
			this.cancels++;
			this.cancelled = true;
			close(Status.CANCELLED.withDescription(message).withCause(cause));
		}

		@Override
		public void halfClose() {
			refuseIfCancelled("half-close");
			close(Status.OK);
		}

		@Override
		public void sendMessage(HandshakerReq message) {
			refuseIfCancelled("request " + message.getReqOneofCase());
			if (!this.closed) {
				this.script.request(message, this);
			}
		}

		/**
		 * Throws as grpc's {@code ClientCallImpl} does after a cancel, and notes it: an
		 * exception thrown on the event loop may not reach the test.
		 */
		private void refuseIfCancelled(String what) {
			if (this.cancelled) {
				this.script.problems.add(what + " after the handler cancelled the call");
				throw new IllegalStateException("call was cancelled");
			}
		}

		void deliver(HandshakerResp response) {
			this.listener.onMessage(response);
		}

		void close(Status status) {
			if (!this.closed) {
				this.closed = true;
				this.listener.onClose(status, new Metadata());
			}
		}

	}

	/**
	 * Next to the channel's head: records every byte the handler writes towards the peer,
	 * also what a closed channel then drops; fails the write it is told to fail.
	 */
	static final class Wire extends ChannelOutboundHandlerAdapter {

		final ByteArrayOutputStream written = new ByteArrayOutputStream();

		/**
		 * Whether the next write fails at once on the open connection, as a reset during
		 * the flush or an outbound handler failing its promise does.
		 */
		boolean failNextWrite;

		/** The bytes of the failed write, released and not passed on. */
		final ByteArrayOutputStream failed = new ByteArrayOutputStream();

		IOException failure;

		@Override
		public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
			if (this.failNextWrite && msg instanceof ByteBuf buf) {
				this.failNextWrite = false;
				this.failed.writeBytes(ByteBufUtil.getBytes(buf));
				buf.release();
				this.failure = new IOException("Connection reset by peer");
				promise.setFailure(this.failure);
				return;
			}
			if (msg instanceof ByteBuf buf) {
				this.written.writeBytes(ByteBufUtil.getBytes(buf));
			}
			ctx.write(msg, promise);
		}

	}

	/**
	 * Stands for grpc's HTTP/2 handler: takes the negotiation event and the plaintext.
	 */
	static final class Capture extends ChannelInboundHandlerAdapter {

		AltsPeer peer;

		/** Whether the handler put the record layer in front of this handler. */
		boolean added;

		final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();

		@Override
		public void handlerAdded(ChannelHandlerContext ctx) {
			this.added = true;
		}

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
