package io.github.readyread.grpc.alts.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.alts.AltsPeer;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.github.readyread.grpc.transport.internal.ReadDemand;
import io.grpc.Attributes;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerResult;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.NextHandshakeMessageReq;
import io.grpc.alts.internal.ServerHandshakeParameters;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.alts.internal.StartServerHandshakeReq;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one connection's ALTS handshake through the handshaker service, then replaces
 * itself with the record layer.
 *
 * <pre>
 *   peer bytes --copy--&gt; [this] --in_bytes--&gt; HandshakerService.DoHandshake
 *   peer       &lt;--------- [this] &lt;-out_frames--
 *   on result: [this] -&gt; [AltsRecordDecoder, AltsRecordEncoder, plaintext stage?, grpc negotiation]
 * </pre>
 *
 * Starts on grpc's negotiation event; handshaker responses are handled on the channel's
 * event loop, which is never blocked. Bytes from the peer are copied out of the read
 * buffer at once; those the handshaker did not consume with its result are handed to the
 * record decoder. While the handshake waits for a permit or for the handshaker service,
 * it stops reading: the peer's next bytes stay in the kernel, not on the heap.
 *
 * <p>
 * The handshake timeout is a deadline, not an idle timeout: the time until a permit is
 * granted (a server also waits for the client's first bytes) is bounded by one timeout,
 * the handshake from its permit on by another, whatever the peer trickles.
 */
public final class AltsHandshakeHandler extends ChannelDuplexHandler {

	private static final Logger logger = LoggerFactory.getLogger(AltsHandshakeHandler.class);

	/**
	 * Most bytes a peer may send before the handshake ends: its handshake messages plus
	 * the first records, which HTTP/2's initial 64 KiB window bounds.
	 */
	static final int MAX_PENDING_BYTES = 1024 * 1024;

	private final boolean client;

	private final AltsSettings settings;

	private final @Nullable ReadDemand demand;

	private final HandshakeLimiter limiter;

	private final AltsHandshakeFailures failures;

	private final ChannelHandler next;

	private ChannelHandlerContext ctx;

	private @Nullable Object negotiationEvent;

	private HandshakeLimiter.@Nullable Permit permit;

	private @Nullable ScheduledFuture<?> timeout;

	private @Nullable ClientCallStreamObserver<HandshakerReq> requests;

	private boolean started;

	private boolean inFlight;

	private ByteString sentIn = ByteString.EMPTY;

	private ByteString pendingIn = ByteString.EMPTY;

	/** Whether {@link #pendingIn} holds bytes the handshaker has not seen yet. */
	private boolean freshIn;

	private boolean readingPaused;

	private long bytesFromPeer;

	private String stage = "waiting for the connection";

	private boolean done;

	/** Whether this side closed the connection through the pipeline. */
	private boolean closedHere;

	AltsHandshakeHandler(boolean client, AltsSettings settings, @Nullable ReadDemand demand, HandshakeLimiter limiter,
			AltsHandshakeFailures failures, ChannelHandler next) {
		this.client = client;
		this.settings = settings;
		this.demand = demand;
		this.limiter = limiter;
		this.failures = failures;
		this.next = next;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.ctx = ctx;
	}

	@Override
	public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
		if (!GrpcNettyBridge.isNegotiationEvent(evt)) {
			ctx.fireUserEventTriggered(evt);
			return;
		}
		if (this.negotiationEvent != null) {
			throw new IllegalStateException("ALTS negotiation already started");
		}
		this.negotiationEvent = evt;
		armDeadline();
		if (this.client) {
			requestPermit();
		}
		else {
			this.stage = "waiting for the client's first handshake bytes";
			if (!this.pendingIn.isEmpty()) {
				requestPermit();
			}
		}
		updateReading();
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf buf)) {
			ReferenceCountUtil.release(msg);
			return;
		}
		try {
			if (this.done) {
				return;
			}
			this.bytesFromPeer += buf.readableBytes();
			if (this.pendingIn.size() + buf.readableBytes() > MAX_PENDING_BYTES) {
				fail(AltsHandshakeFailures.Reason.PROTOCOL, Status.UNAVAILABLE,
						"ALTS handshake failed: peer sent more than " + MAX_PENDING_BYTES
								+ " bytes before the handshake finished",
						null);
				return;
			}
			// Copied out at once: a waiting handshake pins no read buffer.
			this.pendingIn = this.pendingIn.concat(ByteString.copyFrom(buf.nioBuffer()));
			this.freshIn = true;
		}
		finally {
			buf.release();
		}
		if (!this.client && this.permit == null && this.negotiationEvent != null) {
			requestPermit();
		}
		sendNext();
		updateReading();
	}

	/**
	 * Starts the handshake's deadline: once when the negotiation starts (it bounds the
	 * wait for a permit) and once more when the permit is granted (it bounds the
	 * handshake itself). Nothing else moves it: neither bytes from the peer nor answers
	 * of the handshaker, so a peer trickling bytes cannot keep a handshake, or its
	 * permit, alive.
	 */
	private void armDeadline() {
		if (this.timeout != null) {
			this.timeout.cancel(false);
		}
		long millis = this.settings.handshakeTimeout().toMillis();
		this.timeout = this.ctx.executor()
			.schedule(
					() -> fail(AltsHandshakeFailures.Reason.TIMEOUT, Status.UNAVAILABLE,
							"ALTS handshake timed out after " + millis + " ms (" + this.stage + ")", null),
					millis, TimeUnit.MILLISECONDS);
	}

	private void requestPermit() {
		this.stage = "waiting for one of " + this.limiter.maxConcurrent() + " handshake permits";
		HandshakeLimiter.Permit requested = this.limiter.acquire(this.ctx.executor(), this::permitGranted);
		if (this.permit == null) {
			// Still queued (a permit granted at once was stored by permitGranted).
			this.permit = requested;
		}
		if (this.done) {
			requested.release();
		}
	}

	private void permitGranted(HandshakeLimiter.Permit granted) {
		this.permit = granted;
		if (this.done) {
			granted.release();
			return;
		}
		this.stage = "waiting for the handshaker service";
		armDeadline();
		HandshakerServiceGrpc.HandshakerServiceStub stub = HandshakerServiceGrpc
			.newStub(this.settings.handshakerChannel());
		stub.doHandshake(new Responses());
		if (this.client) {
			StartClientHandshakeReq.Builder start = StartClientHandshakeReq.newBuilder()
				.setHandshakeSecurityProtocol(HandshakeProtocol.ALTS)
				.addApplicationProtocols(AltsProtocol.APPLICATION_PROTOCOL)
				.addRecordProtocols(AltsProtocol.RECORD_PROTOCOL)
				.setRpcVersions(AltsRpcVersions.LOCAL)
				.setMaxFrameSize(this.settings.maxFrameSize());
			for (String account : this.settings.targetServiceAccounts()) {
				start.addTargetIdentitiesBuilder().setServiceAccount(account);
			}
			if (this.settings.localServiceAccount() != null) {
				start.getLocalIdentityBuilder().setServiceAccount(this.settings.localServiceAccount());
			}
			send(HandshakerReq.newBuilder().setClientStart(start).build(), ByteString.EMPTY);
			this.started = true;
		}
		else {
			sendNext();
		}
		updateReading();
	}

	private void sendNext() {
		if (this.done || this.requests == null || this.inFlight || this.pendingIn.isEmpty()
				|| (this.client && !this.started)) {
			return;
		}
		ByteString in = this.pendingIn;
		this.pendingIn = ByteString.EMPTY;
		this.freshIn = false;
		if (!this.started) {
			ServerHandshakeParameters.Builder parameters = ServerHandshakeParameters.newBuilder()
				.addRecordProtocols(AltsProtocol.RECORD_PROTOCOL);
			if (this.settings.localServiceAccount() != null) {
				parameters.addLocalIdentitiesBuilder().setServiceAccount(this.settings.localServiceAccount());
			}
			StartServerHandshakeReq start = StartServerHandshakeReq.newBuilder()
				.addApplicationProtocols(AltsProtocol.APPLICATION_PROTOCOL)
				.putHandshakeParameters(HandshakeProtocol.ALTS.getNumber(), parameters.build())
				.setInBytes(in)
				.setRpcVersions(AltsRpcVersions.LOCAL)
				.setMaxFrameSize(this.settings.maxFrameSize())
				.build();
			this.started = true;
			send(HandshakerReq.newBuilder().setServerStart(start).build(), in);
		}
		else {
			send(HandshakerReq.newBuilder().setNext(NextHandshakeMessageReq.newBuilder().setInBytes(in)).build(), in);
		}
	}

	private void send(HandshakerReq request, ByteString in) {
		this.sentIn = in;
		this.inFlight = true;
		this.stage = "waiting for the handshaker service";
		Objects.requireNonNull(this.requests, "handshake call not started").onNext(request);
	}

	private void onResponse(HandshakerResp response) {
		if (this.done) {
			return;
		}
		this.inFlight = false;
		if (response.hasStatus() && response.getStatus().getCode() != 0) {
			fail(AltsHandshakeFailures.Reason.HANDSHAKER_ERROR, Status.UNAVAILABLE,
					"ALTS handshaker service error: code " + response.getStatus().getCode() + ": "
							+ response.getStatus().getDetails(),
					null);
			return;
		}
		// uint32 on the wire: 2^31 and above arrive negative.
		int consumed = response.getBytesConsumed();
		if (consumed < 0 || consumed > this.sentIn.size()) {
			fail(AltsHandshakeFailures.Reason.PROTOCOL, Status.INTERNAL,
					"ALTS handshaker consumed " + Integer.toUnsignedLong(consumed) + " bytes of " + this.sentIn.size(),
					null);
			return;
		}
		ByteString leftover = this.sentIn.substring(consumed);
		this.sentIn = ByteString.EMPTY;
		if (!response.getOutFrames().isEmpty()) {
			ByteBuf out = this.ctx.alloc().buffer(response.getOutFrames().size());
			out.writeBytes(response.getOutFrames().asReadOnlyByteBuffer());
			this.ctx.writeAndFlush(out).addListener((f) -> {
				if (!f.isSuccess()) {
					fail(AltsHandshakeFailures.Reason.PEER_CLOSED, Status.UNAVAILABLE,
							"ALTS handshake failed: could not send handshake bytes", f.cause());
				}
			});
			// A write can fail at once on an open connection (a reset during the flush,
			// an outbound handler failing it): the listener has then failed the handshake
			// (call cancelled, permit returned, connection closing). Nothing of this
			// answer may follow: a result would use the cancelled call and install the
			// record layer on the failed connection.
			if (this.done) {
				return;
			}
		}
		if (response.hasResult()) {
			finish(response.getResult(), leftover.concat(this.pendingIn));
			return;
		}
		this.pendingIn = leftover.concat(this.pendingIn);
		this.stage = "waiting for the peer's handshake bytes";
		if (this.freshIn) {
			sendNext();
		}
		updateReading();
	}

	/**
	 * Reads from the socket only while the handshaker waits for the peer's bytes: not
	 * while this handshake is queued for a permit with bytes in hand, nor while a request
	 * is with the handshaker service. Whatever the peer sends meanwhile stays in the
	 * kernel (and TCP flow control slows the peer down), so a queued handshake holds at
	 * most one read's bytes on the heap.
	 */
	private void updateReading() {
		boolean pause = !this.done && (this.inFlight || this.freshIn);
		if (pause != this.readingPaused) {
			this.readingPaused = pause;
			this.ctx.channel().config().setAutoRead(!pause);
		}
	}

	private void resumeReading() {
		if (this.readingPaused) {
			this.readingPaused = false;
			this.ctx.channel().config().setAutoRead(true);
		}
	}

	private void finish(HandshakerResult result, ByteString recordBytes) {
		String problem = AltsRpcVersions.checkResult(result, this.client);
		if (problem != null) {
			fail(AltsHandshakeFailures.Reason.PROTOCOL, Status.UNAVAILABLE, problem, null);
			return;
		}
		// The handshaker was asked to accept only these; checked here too, whatever the
		// handshaker (the embedded one checks no identity).
		List<String> targets = this.settings.targetServiceAccounts();
		String peerAccount = result.getPeerIdentity().getServiceAccount();
		if (this.client && !targets.isEmpty() && !targets.contains(peerAccount)) {
			fail(AltsHandshakeFailures.Reason.PEER_IDENTITY, Status.UNAVAILABLE, "ALTS server's service account '"
					+ peerAccount + "' is not one of the target service accounts " + targets, null);
			return;
		}
		int frameSize = AltsFrameSizes.resolve(result.getMaxFrameSize(), this.settings.maxFrameSize());
		byte[] key = result.getKeyData().substring(0, AltsProtocol.KEY_LENGTH).toByteArray();
		ChannelHandler stageHandler = (this.settings.plaintextStage() != null) ? this.settings.plaintextStage().get()
				: null;
		// One plaintext buffer per read for the frame aligner, which copies what gRPC
		// keeps; one per record for gRPC's own HTTP/2 decoder, which keeps slices.
		AltsRecordDecoder decoder = new AltsRecordDecoder(AltsCrypter.forReceiving(key, this.client), this.demand,
				this.settings.readPathStats(), stageHandler != null);
		AltsRecordEncoder encoder = new AltsRecordEncoder(AltsCrypter.forSending(key, this.client), frameSize);
		Arrays.fill(key, (byte) 0);
		AltsPeer peer = new AltsPeer(result.getPeerIdentity().getServiceAccount(),
				result.getLocalIdentity().getServiceAccount(), result.getRecordProtocol(), frameSize);
		cleanUp();
		Objects.requireNonNull(this.requests, "handshake call not started").onCompleted();
		this.done = true;
		resumeReading();

		ChannelPipeline pipeline = this.ctx.pipeline();
		String name = this.ctx.name();
		pipeline.addAfter(name, null, decoder);
		String last = pipeline.context(decoder).name();
		pipeline.addAfter(last, null, encoder);
		last = pipeline.context(encoder).name();
		if (stageHandler != null) {
			pipeline.addAfter(last, null, stageHandler);
			last = pipeline.context(stageHandler).name();
		}
		pipeline.addAfter(last, null, this.next);
		Object event = Objects.requireNonNull(this.negotiationEvent, "negotiation not started");
		Attributes attributes = GrpcNettyBridge.attributes(event)
			.toBuilder()
			.set(GrpcNettyBridge.securityLevelKey(), SecurityLevel.PRIVACY_AND_INTEGRITY)
			.set(AltsPeer.KEY, peer)
			.build();
		this.ctx.fireUserEventTriggered(GrpcNettyBridge.withAttributes(event, attributes));
		if (!recordBytes.isEmpty()) {
			ByteBuf records = this.ctx.alloc().buffer(recordBytes.size());
			records.writeBytes(recordBytes.asReadOnlyByteBuffer());
			this.ctx.fireChannelRead(records);
			this.ctx.fireChannelReadComplete();
		}
		pipeline.remove(this);
	}

	/**
	 * Ends the handshake with {@code status}; counted as a failure for {@code reason},
	 * not at all if it is {@code null} (the handshake was abandoned by this side).
	 */
	private void fail(AltsHandshakeFailures.@Nullable Reason reason, Status status, String description,
			@Nullable Throwable cause) {
		if (this.done) {
			return;
		}
		this.done = true;
		// One line per connection only at DEBUG: a port scanner must not flood the log.
		logger.debug("{} ALTS handshake with {} ended ({}): {}", this.client ? "Client" : "Server",
				this.ctx.channel().remoteAddress(), (reason != null) ? reason.tag() : "abandoned", description);
		if (reason != null) {
			this.failures.record(this.client, reason, description, this.ctx.executor());
		}
		cleanUp();
		if (this.requests != null) {
			this.requests.cancel("ALTS handshake failed", null);
		}
		this.pendingIn = ByteString.EMPTY;
		this.ctx.fireExceptionCaught(status.withDescription(description).withCause(cause).asRuntimeException());
		this.ctx.close();
	}

	private void cleanUp() {
		if (this.timeout != null) {
			this.timeout.cancel(false);
		}
		if (this.permit != null) {
			this.permit.release();
		}
	}

	/**
	 * A close from this side, through the pipeline (gRPC shutting its transport down, a
	 * handler after this one): the handshake ends then without a failure to count.
	 */
	@Override
	public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
		this.closedHere = true;
		ctx.close(promise);
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) throws Exception {
		String progress = " (" + this.stage + ", " + this.bytesFromPeer + " handshake bytes received)";
		if (this.closedHere) {
			fail(null, Status.UNAVAILABLE, "ALTS handshake abandoned: connection closed by this side" + progress, null);
		}
		else {
			fail(AltsHandshakeFailures.Reason.PEER_CLOSED, Status.UNAVAILABLE,
					"ALTS handshake failed: connection closed by the peer" + progress, null);
		}
		ctx.fireChannelInactive();
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		if (!this.done) {
			this.done = true;
			cleanUp();
			if (this.requests != null) {
				this.requests.cancel("ALTS handshake abandoned", null);
			}
		}
		resumeReading();
		this.pendingIn = ByteString.EMPTY;
	}

	/**
	 * Runs a handshaker event on the event loop, unless the connection has closed by
	 * then. A peer's close can come between the event and its task: the socket closes at
	 * once, {@code channelInactive} runs as a task behind those already queued. The
	 * handshake then fails as the peer's close; the late event is ignored, so that it
	 * neither writes to the closed connection nor finishes the handshake on it.
	 */
	private void onEventLoop(Runnable task) {
		try {
			this.ctx.executor().execute(() -> {
				if (this.ctx.channel().isActive()) {
					task.run();
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// The event loop is shutting down; the channel is gone with it.
		}
	}

	private final class Responses implements ClientResponseObserver<HandshakerReq, HandshakerResp> {

		@Override
		public void beforeStart(ClientCallStreamObserver<HandshakerReq> requestStream) {
			AltsHandshakeHandler.this.requests = requestStream;
		}

		@Override
		public void onNext(HandshakerResp response) {
			onEventLoop(() -> onResponse(response));
		}

		@Override
		public void onError(Throwable ex) {
			Status status = Status.fromThrowable(ex);
			onEventLoop(() -> fail(AltsHandshakeFailures.Reason.HANDSHAKER_ERROR, Status.UNAVAILABLE,
					"ALTS handshaker service failed: " + status.getCode()
							+ ((status.getDescription() != null) ? ": " + status.getDescription() : ""),
					ex));
		}

		@Override
		public void onCompleted() {
			onEventLoop(() -> fail(AltsHandshakeFailures.Reason.HANDSHAKER_ERROR, Status.UNAVAILABLE,
					"ALTS handshaker service ended the handshake without a result", null));
		}

	}

}
