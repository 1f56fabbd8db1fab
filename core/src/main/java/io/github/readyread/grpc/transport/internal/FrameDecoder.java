package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

/**
 * Base of the read path's length-prefixed frame decoders (the HTTP/2 frame aligner, the
 * ALTS record decoder): subclasses say how long a frame is and what a whole one means;
 * this owns everything that happens between reads.
 *
 * <pre>
 *   read buffer [ prefix? | frame | frame | ... | head of next frame ]  released in its channelRead
 *                           \_ wholeFrame(in)        \_ copied: header into a field,
 *                                                       payload into a PartialFrame (exact size)
 *   next reads  [ rest of that frame | frame | ... ]
 *                 \_ heldFrame(header, payload)
 * </pre>
 *
 * <p>
 * A subclass may pass some frames on in pieces as their payload arrives instead
 * ({@link #divisible}): the head a read ends in goes on at once ({@link #frameHead}),
 * only the header stays (in a field), and each later read's bytes of the frame go on
 * before its whole frames ({@link #frameContinued}); such a frame is never held or copied
 * here.
 *
 * <p>
 * Frames held whole of {@value #FRAME_REST_MIN} bytes or more (ALTS records of large
 * messages) are read exactly where the connection's demand allows it (epoll, adaptive
 * reads; {@link ReadDemand#awaitFrameRest}): the rest of such a frame and the next header
 * in one read, however large, and while such frames flow each header on its own, so the
 * frame after it comes in one read too and goes on as a slice of it rather than being
 * copied together from several reads. The rest of a smaller frame among them comes with
 * room for the next header and a frame as large as the last large one: a large frame
 * right behind a small one (the tail of a message that a flow-control pass cut off, a
 * ping's acknowledgement) then comes whole in the same read rather than in one of its own
 * (docs/THROUGHPUT-STUDY.md section 29: over ALTS, a stream of 64 KiB messages goes as a
 * large record and a 13-byte one per message). {@value #SMALL_FRAMES_TO_LEAVE} headers of
 * smaller frames in a row return the connection to reads sized from what reads return.
 * Only reads while large frames flow go past the largest read.
 *
 * <p>
 * Owned here: the header of an incomplete frame (in a field) and its payload bytes (a
 * {@link PartialFrame}: exact-size copies, never a retained slice of a read buffer across
 * a wait); the connection's {@link ReadDemand}, given in the constructor and updated
 * after every read when this is the outermost decoder; and every release path
 * ({@code handlerRemoved}, {@code channelInactive}, a subclass that stops or fails). The
 * incomplete-frame figures are counted by the {@link PartialFrame}, nothing else.
 */
public abstract class FrameDecoder extends ChannelInboundHandlerAdapter {

	private static final int READ_SIZE_WHEN_DONE = 4096;

	/**
	 * Fewest missing bytes of a frame held whole (not passed on in pieces) for which the
	 * next read takes exactly its rest and the next header
	 * ({@link ReadDemand#awaitFrameRest}); and the size from which a frame counts as
	 * large for {@link #largeFramesFlow}. Above an ALTS record of a 16 KiB message, so
	 * small messages keep reads sized from what reads return.
	 */
	static final int FRAME_REST_MIN = 32 * 1024;

	/**
	 * Headers of frames that are not large after which a connection that carried large
	 * ones reads as before them again.
	 */
	static final int SMALL_FRAMES_TO_LEAVE = 8;

	private final int headerLength;

	private final int lengthFieldEnd;

	private final @Nullable ReadDemand demand;

	private final ReadPathStats stats;

	private final byte[] header;

	private final ByteBuf headerView;

	private int headerFill;

	private int payloadLength;

	private int prefixRemaining;

	private @Nullable PartialFrame partial;

	private boolean passThrough;

	private boolean closed;

	/**
	 * Whether the frame whose header is held goes on in pieces as its payload arrives
	 * ({@link #divisible}); {@link #payloadLength} is then what it still misses.
	 */
	private boolean continuing;

	/** Whether bytes of the frame going on in pieces went on already. */
	private boolean piecePassed;

	/**
	 * Frame headers read since the last one that announced a frame of at least
	 * {@link #FRAME_REST_MIN} bytes held whole ({@link #SMALL_FRAMES_TO_LEAVE} and more:
	 * none recently).
	 */
	private int framesSinceLarge = SMALL_FRAMES_TO_LEAVE;

	/** Payload bytes of the last frame that counted as large ({@link #headerRead}). */
	private int lastLargePayload;

	/**
	 * A decoder of frames laid out as the arguments say.
	 * @param headerLength bytes of a frame header
	 * @param lengthFieldEnd header bytes needed to know the payload length (checked as
	 * soon as they are there)
	 * @param prefixLength bytes passed on whole before the first frame (a protocol
	 * preface), 0 for none
	 * @param demand the connection's demand if this is its outermost decoder, else
	 * {@code null}
	 * @param stats where incomplete frames are counted
	 */
	protected FrameDecoder(int headerLength, int lengthFieldEnd, int prefixLength, @Nullable ReadDemand demand,
			ReadPathStats stats) {
		if (headerLength < 1 || lengthFieldEnd < 1 || lengthFieldEnd > headerLength || prefixLength < 0) {
			throw new IllegalArgumentException("Invalid header layout: header " + headerLength + ", length field end "
					+ lengthFieldEnd + ", prefix " + prefixLength);
		}
		if (stats == null) {
			throw new NullPointerException("stats is required");
		}
		this.headerLength = headerLength;
		this.lengthFieldEnd = lengthFieldEnd;
		this.prefixRemaining = prefixLength;
		this.demand = demand;
		this.stats = stats;
		this.header = new byte[headerLength];
		this.headerView = Unpooled.wrappedBuffer(this.header);
	}

	/**
	 * The payload length of the frame whose header starts at {@code index}, called as
	 * soon as the length field is there; -1 if the header is not acceptable, after
	 * calling {@link #fail} or {@link #stepAside}.
	 * @param ctx the decoder's context
	 * @param buffer holds at least the length field from {@code index}
	 * @param index where the header starts
	 * @return bytes after the header, or -1
	 */
	protected abstract int payloadLength(ChannelHandlerContext ctx, ByteBuf buffer, int index);

	/**
	 * Checks a complete header; false after calling {@link #fail} or {@link #stepAside}.
	 */
	protected boolean headerComplete(ChannelHandlerContext ctx, ByteBuf buffer, int index) {
		return true;
	}

	/**
	 * A whole frame inside the read buffer, at its reader index: consume exactly its
	 * header and payload (pass them on, or remember where they start for
	 * {@link #endOfWholeFrames}).
	 * @param ctx the decoder's context
	 * @param in the read buffer, released by this class
	 * @param payloadLength bytes after the header
	 */
	protected abstract void wholeFrame(ChannelHandlerContext ctx, ByteBuf in, int payloadLength);

	/**
	 * Called once per read before its whole frames, if any, are handed to
	 * {@link #wholeFrame}: {@code in} holds them from its reader index (then perhaps the
	 * head of a frame it leaves incomplete); read it, do not consume it.
	 * @param in the read buffer
	 */
	protected void wholeFramesAhead(ByteBuf in) {
	}

	/**
	 * Whether the frame whose complete header starts at {@code index} may go on in pieces
	 * as its payload arrives, one per read ({@link #frameHead}, {@link #frameContinued}),
	 * instead of being held until it is whole. Only for frames with a payload.
	 * @param buffer holds the header from {@code index}
	 * @param index where the header starts
	 */
	protected boolean divisible(ByteBuf buffer, int index) {
		return false;
	}

	/**
	 * The head of a {@link #divisible} frame that the read ends in: consume its header
	 * and the {@code available} payload bytes after it, and pass the bytes on (or
	 * remember where they start for {@link #endOfWholeFrames}); the header stays held for
	 * the pieces that follow.
	 * @param ctx the decoder's context
	 * @param in the read buffer, released by this class
	 * @param length the frame's payload length
	 * @param available payload bytes in this read, at least 1 and less than
	 * {@code length}
	 */
	protected void frameHead(ChannelHandlerContext ctx, ByteBuf in, int length, int available) {
		throw new UnsupportedOperationException("Frames are not divisible");
	}

	/**
	 * The next payload bytes of a {@link #divisible} frame whose header came in an
	 * earlier read, at the reader index of the read buffer: consume exactly
	 * {@code length} bytes and pass them on. Called before the read's whole frames.
	 * @param ctx the decoder's context
	 * @param header the frame's header, valid during this call only
	 * @param in the read buffer, released by this class
	 * @param length bytes of the frame in this read, at least 1
	 * @param first whether they are the first of its payload to go on (its head read
	 * ended right after the header)
	 * @param last whether they complete the frame
	 */
	protected void frameContinued(ChannelHandlerContext ctx, ByteBuf header, ByteBuf in, int length, boolean first,
			boolean last) {
		throw new UnsupportedOperationException("Frames are not divisible");
	}

	/**
	 * A frame that arrived over several reads.
	 * @param ctx the decoder's context
	 * @param header its header bytes, valid during this call only
	 * @param payload its payload, now the callee's: an exact-size copy, or a retained
	 * slice of the current read buffer if all of it came in this read
	 * @param copied whether {@code payload} is a copy of its own
	 */
	protected abstract void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied);

	/**
	 * Called before the decoder copies the head of an incomplete frame, steps aside or
	 * returns from a read: pass on what {@link #wholeFrame} kept back. False if the
	 * decoder was removed or closed meanwhile.
	 */
	protected boolean endOfWholeFrames(ChannelHandlerContext ctx, ByteBuf in) {
		return true;
	}

	/**
	 * Bytes of the incomplete frame held (header included); 0 for a frame going on in
	 * pieces once its first piece went on (its header went with it).
	 */
	public int heldBytes() {
		return (this.continuing && this.piecePassed) ? 0 : this.headerFill + heldPayloadBytes();
	}

	/** Whether the decoder stepped aside and passes everything on as it comes. */
	public boolean isPassingThrough() {
		return this.passThrough;
	}

	/** Header bytes of the incomplete frame received so far. */
	protected final int heldHeaderBytes() {
		return this.headerFill;
	}

	/** Payload bytes of the incomplete frame received so far. */
	protected final int heldPayloadBytes() {
		return (this.partial != null) ? this.partial.readableBytes() : 0;
	}

	/**
	 * Payload length of the incomplete frame, once its header is complete; of a frame
	 * that goes on in pieces, the bytes it still misses.
	 */
	protected final int heldPayloadLength() {
		return this.payloadLength;
	}

	/**
	 * The header of a {@link #divisible} frame whose head went on and whose next bytes
	 * the current read starts with, else {@code null}. Valid until the read is handed on.
	 */
	protected final @Nullable ByteBuf continuedHeader() {
		return this.continuing ? this.headerView : null;
	}

	protected final int headerLength() {
		return this.headerLength;
	}

	/** Whether this decoder stopped (closed, failed or removed). */
	protected final boolean isClosed() {
		return this.closed;
	}

	/**
	 * Passes {@code message} on; false if the decoder was removed or closed meanwhile
	 * (the rest of {@code in} is then passed on or dropped).
	 */
	protected final boolean pass(ChannelHandlerContext ctx, Object message, ByteBuf in) {
		ctx.fireChannelRead(message);
		return stillDecoding(ctx, in);
	}

	/**
	 * Stops decoding for good and passes on, from now on, everything as it comes: the
	 * held header bytes and the rest of this read first.
	 */
	protected final void stepAside() {
		this.passThrough = true;
	}

	/**
	 * Stops decoding and releases what is held; later reads are dropped. The subclass
	 * reports the failure and closes the channel.
	 */
	protected final void stop() {
		this.closed = true;
		this.continuing = false;
		releasePartial();
		stopped();
	}

	/**
	 * Called when decoding stops (closed, failed or removed): release anything kept
	 * between {@link #wholeFrame} or {@link #heldFrame} and {@link #endOfWholeFrames}.
	 */
	protected void stopped() {
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		updateDemand();
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		stop();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) throws Exception {
		stop();
		ctx.fireChannelInactive();
	}

	@Override
	public final void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf in) || this.passThrough) {
			ctx.fireChannelRead(msg);
			return;
		}
		if (this.closed) {
			in.release();
			return;
		}
		try {
			decode(ctx, in);
		}
		catch (RuntimeException ex) {
			stop();
			throw ex;
		}
		finally {
			in.release();
			// Also after a failure: a stopped decoder's demand is one small read, not
			// the rest of a large frame it will never decode.
			updateDemand();
		}
	}

	private void decode(ChannelHandlerContext ctx, ByteBuf in) {
		if (this.prefixRemaining > 0) {
			int n = Math.min(this.prefixRemaining, in.readableBytes());
			ByteBuf prefix;
			if (n == this.prefixRemaining && heldPayloadBytes() == 0) {
				// Whole in this read: a copy of its own (what follows may be held),
				// never held, so not counted as a frame held incomplete.
				prefix = ctx.alloc().buffer(n, n).writeBytes(in, n);
			}
			else {
				partial(ctx).append(in, n);
				prefix = (n == this.prefixRemaining) ? partial(ctx).take() : null;
			}
			this.prefixRemaining -= n;
			if (prefix == null || !pass(ctx, prefix, in)) {
				return;
			}
		}
		if (this.headerFill > 0 && !completeHeld(ctx, in)) {
			return;
		}
		if (in.isReadable()) {
			wholeFramesAhead(in);
		}
		if (this.continuing && !continueFrame(ctx, in)) {
			return;
		}
		while (in.isReadable()) {
			int readable = in.readableBytes();
			int start = in.readerIndex();
			if (readable < this.lengthFieldEnd) {
				holdHeader(ctx, in);
				return;
			}
			int length = payloadLength(ctx, in, start);
			if (length < 0) {
				rejected(ctx, in);
				return;
			}
			if (readable < this.headerLength) {
				// The length field is in: completeHeld reads it only when the held
				// bytes stop short of it.
				this.payloadLength = length;
				holdHeader(ctx, in);
				return;
			}
			if (!headerComplete(ctx, in, start)) {
				rejected(ctx, in);
				return;
			}
			headerRead(length >= FRAME_REST_MIN && !divisible(in, start), length);
			if (readable < this.headerLength + length) {
				if (divisible(in, start)) {
					in.getBytes(start, this.header);
					int available = readable - this.headerLength;
					this.piecePassed = available > 0;
					if (available > 0) {
						frameHead(ctx, in, length, available);
						if (!stillDecoding(ctx, in)) {
							return;
						}
					}
					else {
						// Only the header came: it waits in a field for the first piece.
						if (!endOfWholeFrames(ctx, in)) {
							return;
						}
						in.skipBytes(this.headerLength);
					}
					this.headerFill = this.headerLength;
					this.payloadLength = length - available;
					this.continuing = true;
					break;
				}
				if (!endOfWholeFrames(ctx, in)) {
					return;
				}
				in.readBytes(this.header);
				this.headerFill = this.headerLength;
				this.payloadLength = length;
				partial(ctx).append(in, in.readableBytes());
				return;
			}
			wholeFrame(ctx, in, length);
			if (!stillDecoding(ctx, in)) {
				return;
			}
		}
		endOfWholeFrames(ctx, in);
	}

	/**
	 * Passes on the bytes of this read that belong to the frame going on in pieces; false
	 * if the frame is still incomplete (the read is then done) or decoding stopped.
	 */
	private boolean continueFrame(ChannelHandlerContext ctx, ByteBuf in) {
		int length = Math.min(this.payloadLength, in.readableBytes());
		if (length == 0) {
			return false;
		}
		boolean last = length == this.payloadLength;
		boolean first = !this.piecePassed;
		this.payloadLength -= length;
		this.piecePassed = !last;
		if (last) {
			this.headerFill = 0;
			this.continuing = false;
		}
		frameContinued(ctx, this.headerView, in, length, first, last);
		if (!stillDecoding(ctx, in)) {
			return false;
		}
		if (!last) {
			// The read ends inside the frame: pass on what the subclass kept back.
			endOfWholeFrames(ctx, in);
			return false;
		}
		return true;
	}

	/**
	 * Whether decoding goes on after a frame was handed over: if the decoder was removed
	 * meanwhile, the rest of {@code in} is passed on; if it stopped, dropped.
	 */
	/**
	 * Whether decoding goes on after a subclass passed something on or failed; if not,
	 * the rest of {@code in} is passed on (decoder removed) or dropped (closed).
	 */
	protected final boolean stillDecoding(ChannelHandlerContext ctx, ByteBuf in) {
		if (ctx.isRemoved()) {
			if (in.isReadable()) {
				ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
			}
			return false;
		}
		if (this.closed) {
			in.skipBytes(in.readableBytes());
			return false;
		}
		return true;
	}

	private void holdHeader(ChannelHandlerContext ctx, ByteBuf in) {
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		this.headerFill = in.readableBytes();
		in.readBytes(this.header, 0, this.headerFill);
	}

	/**
	 * Completes the frame whose start arrived earlier; false if it is still incomplete or
	 * the rest of {@code in} was dealt with otherwise.
	 */
	private boolean completeHeld(ChannelHandlerContext ctx, ByteBuf in) {
		if (this.headerFill < this.headerLength) {
			int before = this.headerFill;
			int n = Math.min(this.headerLength - this.headerFill, in.readableBytes());
			in.readBytes(this.header, this.headerFill, n);
			this.headerFill += n;
			if (before < this.lengthFieldEnd && this.headerFill >= this.lengthFieldEnd) {
				int length = payloadLength(ctx, this.headerView, 0);
				if (length < 0) {
					rejected(ctx, in);
					return false;
				}
				this.payloadLength = length;
			}
			if (this.headerFill < this.headerLength) {
				return false;
			}
			if (!headerComplete(ctx, this.headerView, 0)) {
				rejected(ctx, in);
				return false;
			}
			boolean divisible = divisible(this.headerView, 0);
			headerRead(this.payloadLength >= FRAME_REST_MIN && !divisible, this.payloadLength);
			if (this.payloadLength > 0 && divisible) {
				// Its payload goes on as it comes, from this read on.
				this.continuing = true;
				this.piecePassed = false;
				return true;
			}
		}
		if (this.continuing) {
			return true;
		}
		int held = heldPayloadBytes();
		int missing = this.payloadLength - held;
		if (in.readableBytes() < missing) {
			partial(ctx).append(in, in.readableBytes());
			return false;
		}
		ByteBuf payload;
		boolean copied = held > 0 || missing == 0;
		if (copied) {
			payload = partial(ctx).takeWith(in, missing);
		}
		else {
			payload = in.readRetainedSlice(missing);
		}
		this.headerFill = 0;
		heldFrame(ctx, this.headerView, payload, copied);
		return stillDecoding(ctx, in);
	}

	private void rejected(ChannelHandlerContext ctx, ByteBuf in) {
		if (!this.passThrough) {
			in.skipBytes(in.readableBytes());
			return;
		}
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		releasePartial();
		if (this.headerFill > 0) {
			ByteBuf held = ctx.alloc().buffer(this.headerFill, this.headerFill);
			held.writeBytes(this.header, 0, this.headerFill);
			this.headerFill = 0;
			ctx.fireChannelRead(held);
		}
		if (in.isReadable()) {
			ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
		}
	}

	private PartialFrame partial(ChannelHandlerContext ctx) {
		if (this.partial == null) {
			this.partial = new PartialFrame(ctx.alloc(), this.stats);
		}
		return this.partial;
	}

	private void releasePartial() {
		if (this.partial != null) {
			this.partial.release();
			this.partial = null;
		}
	}

	private void updateDemand() {
		if (this.demand == null) {
			return;
		}
		if (this.passThrough || this.closed) {
			this.demand.await(1, READ_SIZE_WHEN_DONE);
		}
		else if (this.prefixRemaining > 0) {
			this.demand.await(this.prefixRemaining, this.prefixRemaining + this.headerLength);
		}
		else if (this.headerFill < this.headerLength) {
			int missing = this.headerLength - this.headerFill;
			if (largeFramesFlow()) {
				// Only the header: a large frame after it comes whole, in one read.
				this.demand.awaitFrameRest(missing, missing);
			}
			else {
				this.demand.await(missing, missing);
			}
		}
		else {
			int missing = this.payloadLength - heldPayloadBytes();
			if (!this.continuing && missing >= FRAME_REST_MIN) {
				this.demand.awaitFrameRest(missing, missing + this.headerLength);
			}
			else if (!this.continuing && largeFramesFlow() && this.demand.readsFrameRests()) {
				// While large frames flow, a small frame's rest comes with room for
				// the next header, a frame as large as the last large one and the
				// header after that: a large frame right behind it comes whole in the
				// same read where it is all there (a head alone is held, as ever).
				this.demand.awaitFrameRest(missing, missing + 2 * this.headerLength + this.lastLargePayload);
			}
			else {
				this.demand.await(missing, missing + this.headerLength);
			}
		}
	}

	/**
	 * Notes a complete frame header: whether it announced a large frame held whole, and
	 * its payload length.
	 */
	private void headerRead(boolean large, int payloadLength) {
		if (large) {
			this.framesSinceLarge = 0;
			this.lastLargePayload = payloadLength;
		}
		else if (this.framesSinceLarge < SMALL_FRAMES_TO_LEAVE) {
			this.framesSinceLarge++;
		}
	}

	/**
	 * Whether large frames held whole flow on this connection: then every frame is read
	 * exactly, header on its own and the rest whole, so that no read takes the head of a
	 * large frame along with what came before it (a ping's acknowledgement between two
	 * records, say), which would be copied.
	 */
	private boolean largeFramesFlow() {
		return this.framesSinceLarge < SMALL_FRAMES_TO_LEAVE;
	}

}
