package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.jspecify.annotations.Nullable;

/**
 * Passes only complete HTTP/2 frames on to gRPC's HTTP/2 handler, so its cumulation is
 * empty and released after every read.
 *
 * <pre>
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (Length)                    ...
 *   +---------------------------------------------------------------+
 * </pre>
 *
 * <p>
 * Complete frames of a read buffer go on as one slice of it, consumed by gRPC within the
 * read. gRPC's deframer keeps DATA buffers until their messages are complete (and
 * delivered), so what a DATA payload goes on in decides what a waiting message pins. The
 * aligner follows every whole frame of a read before it passes any on
 * ({@link #wholeFramesAhead}, {@link ReadPlan}) and so knows, for each DATA frame,
 * whether its bytes belong to messages that end in this read or to the message its stream
 * waits in once the read is done:
 * <ul>
 * <li>messages that end in this read: the frame goes on in the slice with the rest, as in
 * gRPC's own read path (no copy; gRPC is done with them once they are delivered);</li>
 * <li>the message its stream then waits in: in the slice too if that message's bytes in
 * this read fill at least three quarters ({@value #SLICE_SHARE_PERCENT} %) of the read
 * buffer (a large message streaming in: the buffer kept costs at most 4/3 of what the
 * message received in it), else in an exact-size copy of its payload (its header with the
 * frames before it), the frame cut where that message begins if bytes of messages that
 * end come before it;</li>
 * <li>a stream not followed (see below): in the slice if whole DATA frames fill three
 * quarters of the buffer, else copied;</li>
 * <li>with {@code data-frames: copy}, and on read buffers shared by connections
 * (io_uring's rings, see {@link #outermostOnSharedBuffers}): every payload in a copy of
 * its own, cut the same way (an empty DATA frame goes on as a 9-byte copy of its header:
 * even that may stay in the deframer until the next one).</li>
 * </ul>
 * A DATA frame that is not padded and spans reads goes on as its bytes arrive: the head a
 * read ends in as a DATA frame of its own, each later read's bytes of it as another, the
 * last with the frame's flags (END_STREAM only there), each with a 9-byte header of its
 * own and going on as the frames of that read do (above). The head's header is the
 * frame's, rewritten in place; a later piece's is written into the free bytes the receive
 * allocator leaves in front of a read, or a record decoder in front of a read's plaintext
 * ({@link #HEADROOM}); where there are none (io_uring's rings, exact-sized reads, a
 * record decrypted in a copy of its own), it is a buffer of its own. So a read whose
 * frames all go on as slices goes on in one slice, as in gRPC's own read path; no head of
 * a DATA frame waits in the read path, and none is copied twice (once to wait, again once
 * the frame is whole): what is copied at all is what gRPC would keep, once.
 *
 * <pre>
 *   read 1 [ frames ... | DATA header (16384) | 6000 B ]   -> ... DATA (6000)
 *   read 2 [ 10384 B | frames ... ]                         -> DATA (10384, frame's flags) ...
 * </pre>
 *
 * The pieces carry the frame's bytes in order, so HTTP/2 flow control counts the same
 * bytes and gRPC reads the same messages (its frame reader keeps a header in fields, so
 * its cumulation is empty after each piece). The bytes of other incomplete frames (and of
 * a padded DATA frame) are held by {@link FrameDecoder} (the 9-byte header in a field,
 * the payload in a {@link PartialFrame}); nothing of a read buffer is retained across a
 * wait. On the server the 24-byte client connection preface is passed on first, in one
 * piece. A frame longer than the maximum frame size is never buffered: the aligner steps
 * aside and passes everything on as it comes, so gRPC fails the connection with
 * {@code FRAME_SIZE_ERROR}.
 *
 * <p>
 * gRPC's deframer keeps every DATA payload buffer it was given until the messages in it
 * are complete, so the head of a message that begins behind the end of another would keep
 * the whole frame's buffer while it waits for its rest. The aligner follows where gRPC
 * messages begin in each stream's DATA frames ({@link MessageBoundaries}) and passes such
 * a frame on as two DATA frames of the same stream, the second holding just the head of
 * the incomplete message, in an exact-size copy of its own (the first piece a slice of
 * the read buffer, or a copy where payloads are copied):
 *
 * <pre>
 *   DATA [ end of A | B | head of C ]       C still incomplete when the read is done
 *   ->  DATA [ end of A | B ]   DATA [ head of C ]   (9-byte headers, the head a copy)
 * </pre>
 *
 * The pieces carry the frame's bytes in the same order, and its flags (END_STREAM would
 * stay on the last, but a frame that ends its stream is never cut: nothing waits after
 * it), so HTTP/2 flow control counts the same bytes and gRPC reads the same messages. Not
 * cut either: a frame whose bytes all belong to one message (a large unary message costs
 * no copy), a padded frame (its padding is flow-controlled with the frame that carries
 * it, and would have to go with one piece or be split; gRPC never pads), a frame of a
 * stream not followed, a frame whose incomplete message a later DATA frame of the same
 * read completes (gRPC is done with both before the read ends), and a frame of a waiting
 * message that fills three quarters of the buffer (it goes on as a slice). Cut frames
 * cost two 9-byte headers and the copy of the head.
 *
 * <p>
 * So on read buffers shared by connections (io_uring's provided buffer rings) gRPC's
 * deframer never keeps a slice of a ring buffer either.
 *
 * <p>
 * As the outermost decoder of a plaintext connection it is given the connection's
 * {@link ReadDemand} and tells it what it misses; behind a record decoder (ALTS) it has
 * none.
 */
public final class Http2FrameAligner extends FrameDecoder {

	/** Size of an HTTP/2 frame header. */
	public static final int FRAME_HEADER_LENGTH = 9;

	/**
	 * Bytes the buffers given to an aligner may leave free in front of their reader index
	 * (the receive allocator's adaptive reads, a record decoder's plaintext of a read):
	 * room for the header of a DATA frame's piece, written there so the piece goes on
	 * with the frames after it in one slice.
	 */
	public static final int HEADROOM = FRAME_HEADER_LENGTH;

	/** gRPC-Java's (and HTTP/2's) default maximum frame size. */
	public static final int DEFAULT_MAX_FRAME_SIZE = 16384;

	/**
	 * Length of the client connection preface, {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}.
	 */
	public static final int CLIENT_PREFACE_LENGTH = 24;

	/**
	 * Least share of a read buffer's capacity that the bytes of the message a stream
	 * waits in after the read must take for its DATA frames to go on as slices of it (for
	 * a stream not followed: the payloads of the read's whole DATA frames).
	 */
	public static final int SLICE_SHARE_PERCENT = 75;

	private static final byte DATA = 0x0;

	private final int maxFrameSize;

	private final MessageBoundaries boundaries = new MessageBoundaries();

	private final ReadPlan plan = new ReadPlan();

	private final boolean sliceFilledBuffers;

	/**
	 * Whether the bytes in front of a buffer's reader index are free to overwrite: the
	 * buffers come straight from the connection's receive allocator, which leaves
	 * {@link #HEADROOM} bytes there, or from a record decoder, whose plaintext buffers
	 * are its own (with free bytes in front of a read's plaintext); where there are fewer
	 * than a header's, the piece gets a header buffer.
	 */
	private final boolean headroom;

	private long splitDataFrames;

	/** Where the complete frames not passed on yet start in the current read, or -1. */
	private int runStart = -1;

	/**
	 * An aligner that passes every DATA payload on in a copy of its own.
	 * @param server whether this reads a server's connection (and so expects the client
	 * preface first)
	 * @param maxFrameSize largest frame payload accepted, as advertised in
	 * {@code SETTINGS_MAX_FRAME_SIZE}
	 * @param demand the connection's demand if this is its outermost decoder, else
	 * {@code null}
	 * @param stats where incomplete frames are counted
	 */
	public Http2FrameAligner(boolean server, int maxFrameSize, @Nullable ReadDemand demand, ReadPathStats stats) {
		this(server, maxFrameSize, demand, stats, false);
	}

	/**
	 * An aligner that passes DATA payloads on as slices of their read buffers if
	 * {@code sliceFilledBuffers} (those of a message still incomplete after the read only
	 * if it fills {@value #SLICE_SHARE_PERCENT} % of the buffer, see {@link ReadPlan}),
	 * and in copies of their own otherwise.
	 * @param server whether this reads a server's connection (and so expects the client
	 * preface first)
	 * @param maxFrameSize largest frame payload accepted, as advertised in
	 * {@code SETTINGS_MAX_FRAME_SIZE}
	 * @param demand the connection's demand if this is its outermost decoder, else
	 * {@code null}
	 * @param stats where incomplete frames are counted
	 * @param sliceFilledBuffers whether DATA payloads may go on as slices of the buffers
	 * they came in (never for read buffers shared by connections)
	 */
	public Http2FrameAligner(boolean server, int maxFrameSize, @Nullable ReadDemand demand, ReadPathStats stats,
			boolean sliceFilledBuffers) {
		this(server, maxFrameSize, demand, stats, sliceFilledBuffers, false);
	}

	private Http2FrameAligner(boolean server, int maxFrameSize, @Nullable ReadDemand demand, ReadPathStats stats,
			boolean sliceFilledBuffers, boolean headroom) {
		super(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH, server ? CLIENT_PREFACE_LENGTH : 0, demand, stats);
		this.sliceFilledBuffers = sliceFilledBuffers;
		this.headroom = headroom;
		if (maxFrameSize < DEFAULT_MAX_FRAME_SIZE || maxFrameSize > 0xFFFFFF) {
			throw new IllegalArgumentException("maxFrameSize must be between 16384 and 16777215, was " + maxFrameSize);
		}
		this.maxFrameSize = maxFrameSize;
	}

	/**
	 * For a plaintext connection, where the aligner reads the socket's bytes and keeps
	 * {@code demand}; DATA payloads go on as {@code dataFrames} says.
	 */
	public static Http2FrameAligner outermost(boolean server, ReadDemand demand, ReadPathStats stats,
			DataFrames dataFrames) {
		if (demand == null || dataFrames == null) {
			throw new NullPointerException("demand and dataFrames are required");
		}
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, demand, stats,
				dataFrames == DataFrames.SLICE_FILLED_READS, true);
	}

	/**
	 * For a plaintext connection that reads into shared read buffers (io_uring rings): as
	 * {@link #outermost}, but every DATA payload goes on in a copy of its own, so that no
	 * ring buffer stays out of its ring while a message waits.
	 */
	public static Http2FrameAligner outermostOnSharedBuffers(boolean server, ReadDemand demand, ReadPathStats stats) {
		if (demand == null) {
			throw new NullPointerException("demand is required");
		}
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, demand, stats, false);
	}

	/**
	 * For a connection whose bytes come out of a record decoder (ALTS), placed right
	 * after it; the record decoder keeps the {@link ReadDemand}. DATA payloads go on as
	 * {@code dataFrames} says (the buffers sliced are then those of the decrypted
	 * records).
	 */
	public static Http2FrameAligner behindRecordDecoder(boolean server, ReadPathStats stats, DataFrames dataFrames) {
		if (dataFrames == null) {
			throw new NullPointerException("dataFrames is required");
		}
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, null, stats,
				dataFrames == DataFrames.SLICE_FILLED_READS, true);
	}

	/**
	 * DATA frame headers passed on so far beyond those that arrived: one per cut (to keep
	 * the head of an incomplete gRPC message in a buffer of its own) and one per piece
	 * after the first of a frame that went on as it arrived ({@link #divisible}).
	 */
	public long splitDataFrames() {
		return this.splitDataFrames;
	}

	@Override
	protected int payloadLength(ChannelHandlerContext ctx, ByteBuf buffer, int index) {
		int length = buffer.getUnsignedMedium(index);
		if (length > this.maxFrameSize) {
			// Never buffer it; let gRPC see it and fail the connection
			// (FRAME_SIZE_ERROR).
			stepAside();
			return -1;
		}
		return length;
	}

	/**
	 * Follows the whole frames of this read, in order, before any goes on, and decides
	 * for each DATA frame how its payload goes on ({@link ReadPlan}). Stops where
	 * {@link #payloadLength} will: at a frame longer than the maximum, or one not whole.
	 */
	@Override
	protected void wholeFramesAhead(ByteBuf in) {
		ReadPlan plan = this.plan;
		plan.clear();
		this.boundaries.beginRead();
		int index = in.readerIndex();
		int end = in.writerIndex();
		ByteBuf continued = continuedHeader();
		if (continued != null) {
			// The rest, or the next piece, of a DATA frame whose head went on earlier.
			int missing = heldPayloadLength();
			int length = Math.min(missing, end - index);
			int flags = continued.getByte(4);
			planPiece(in, streamId(continued, 0), (length == missing) ? flags : notEnding(flags), index, length);
			index += length;
			if (length < missing) {
				end = index;
			}
		}
		while (end - index >= FRAME_HEADER_LENGTH) {
			int length = in.getUnsignedMedium(index);
			if (length > this.maxFrameSize) {
				break;
			}
			int flags = in.getByte(index + 4);
			int streamId = streamId(in, index);
			int payload = index + FRAME_HEADER_LENGTH;
			if (end - payload < length) {
				if (end > payload && divisible(in, index)) {
					// Its head goes on now, as a DATA frame of its own.
					planPiece(in, streamId, notEnding(flags), payload, end - payload);
				}
				break;
			}
			byte type = in.getByte(index + 3);
			if (type == DATA) {
				plan.data(this.boundaries.followData(streamId, flags, in, payload, length), payload, payload + length,
						(flags & MessageBoundaries.PADDED) != 0);
			}
			else {
				this.boundaries.controlFrame(type, flags, streamId);
				plan.control();
			}
			index = payload + length;
		}
		plan.decide(this.sliceFilledBuffers, (long) in.capacity() * SLICE_SHARE_PERCENT);
		this.boundaries.endRead();
	}

	private void planPiece(ByteBuf in, int streamId, int flags, int start, int length) {
		this.plan.data(this.boundaries.followData(streamId, flags, in, start, length), start, start + length, false);
	}

	/** The stream identifier of the frame whose header starts at {@code index}. */
	private static int streamId(ByteBuf buffer, int index) {
		return buffer.getInt(index + 5) & 0x7FFFFFFF;
	}

	private static int notEnding(int flags) {
		return flags & ~MessageBoundaries.END_STREAM;
	}

	/**
	 * A DATA frame that is not padded goes on as its payload arrives: the head a read
	 * ends in as a DATA frame of its own, each later read's bytes of it as another, the
	 * last with the frame's flags. The pieces carry the frame's bytes in order (HTTP/2
	 * flow control counts the same bytes, gRPC reads the same messages) and go on as
	 * whole frames do ({@link ReadPlan}), so no head waits in a copy of its own to be
	 * copied again once the frame is whole.
	 */
	@Override
	protected boolean divisible(ByteBuf buffer, int index) {
		return buffer.getByte(index + 3) == DATA && (buffer.getByte(index + 4) & MessageBoundaries.PADDED) == 0
				&& buffer.getUnsignedMedium(index) > 0;
	}

	@Override
	protected void frameHead(ChannelHandlerContext ctx, ByteBuf in, int length, int available) {
		int start = in.readerIndex();
		int flags = notEnding(in.getByte(start + 4));
		int streamId = streamId(in, start);
		if (!in.isReadOnly()) {
			// Its header, rewritten in place (the decoder keeps the original), makes the
			// head a whole frame of this read.
			setDataHeader(in, start, available, flags, streamId);
			wholeFrame(ctx, in, available);
			return;
		}
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		in.skipBytes(FRAME_HEADER_LENGTH);
		passPiece(ctx, in, available, flags, streamId);
	}

	@Override
	protected void frameContinued(ChannelHandlerContext ctx, ByteBuf header, ByteBuf in, int length, boolean first,
			boolean last) {
		int flags = header.getByte(4);
		int streamId = streamId(header, 0);
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		if (!first) {
			// One more header than the frame came with.
			this.splitDataFrames++;
		}
		int start = in.readerIndex();
		if (this.headroom && start >= HEADROOM && !in.isReadOnly()) {
			// Its header, written in front of it, makes the piece a whole frame of this
			// read, which goes on with the frames after it.
			start -= FRAME_HEADER_LENGTH;
			setDataHeader(in, start, length, last ? flags : notEnding(flags), streamId);
			in.readerIndex(start);
			wholeFrame(ctx, in, length);
			return;
		}
		passPiece(ctx, in, length, last ? flags : notEnding(flags), streamId);
	}

	/**
	 * Passes on the next {@code length} bytes of {@code in} as the payload of a DATA
	 * frame (or two, where the plan cuts it) with a header of its own, as planned.
	 */
	private void passPiece(ChannelHandlerContext ctx, ByteBuf in, int length, int flags, int streamId) {
		int decision = this.plan.next();
		if (decision > 0 && decision < length) {
			passCut(ctx, in, length, decision, flags, streamId);
			return;
		}
		ByteBuf payload = (decision == ReadPlan.SLICE) ? in.readRetainedSlice(length) : copy(ctx, in, length);
		passAll(ctx, dataHeader(ctx, length, flags, streamId), payload);
	}

	@Override
	protected void wholeFrame(ChannelHandlerContext ctx, ByteBuf in, int length) {
		int start = in.readerIndex();
		int frameLength = FRAME_HEADER_LENGTH + length;
		boolean data = in.getByte(start + 3) == DATA;
		int decision = this.plan.next();
		if (decision == ReadPlan.UNPLANNED) {
			decision = unplanned(in, start, length);
		}
		if (data && length == 0) {
			// Even an empty DATA buffer may stay in gRPC's deframer until the next one.
			if (!endOfWholeFrames(ctx, in)) {
				return;
			}
			ByteBuf copy = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
			copy.writeBytes(in, FRAME_HEADER_LENGTH);
			pass(ctx, copy, in);
			return;
		}
		if (decision > 0) {
			splitWholeFrame(ctx, in, length, decision);
			return;
		}
		if (!data || decision == ReadPlan.SLICE) {
			// Goes on with the run of frames it is in, as a slice of the read buffer.
			if (this.runStart < 0) {
				this.runStart = start;
			}
			in.skipBytes(frameLength);
			return;
		}
		// Its header goes on with the run before it (gRPC keeps headers in fields), its
		// payload in a copy of exactly its size: 16384 + 9 bytes would take the pool's
		// 20 KiB size class.
		if (this.runStart < 0) {
			this.runStart = start;
		}
		in.skipBytes(FRAME_HEADER_LENGTH);
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		ByteBuf copy = ctx.alloc().buffer(length, length);
		copy.writeBytes(in, length);
		pass(ctx, copy, in);
	}

	/**
	 * A whole frame that {@link #wholeFramesAhead} did not plan (it plans every one the
	 * decoder hands over; kept so that a mismatch costs a copy, never a wrong cut):
	 * followed now, its payload copied, cut where the old rule would.
	 */
	private int unplanned(ByteBuf in, int start, int length) {
		byte type = in.getByte(start + 3);
		byte flags = in.getByte(start + 4);
		int streamId = streamId(in, start);
		if (type != DATA) {
			this.boundaries.controlFrame(type, flags, streamId);
			return ReadPlan.SLICE;
		}
		int cut = this.boundaries.dataFrame(streamId, flags, in, start + FRAME_HEADER_LENGTH, length);
		return (cut > 0) ? cut : ReadPlan.COPY;
	}

	/**
	 * Passes on the whole DATA frame at the reader index of {@code in} as two: its
	 * payload up to {@code cut}, then the rest, the head of an incomplete message, each
	 * in a copy of its own with its own header.
	 */
	private void splitWholeFrame(ChannelHandlerContext ctx, ByteBuf in, int length, int cut) {
		if (!endOfWholeFrames(ctx, in)) {
			return;
		}
		int start = in.readerIndex();
		byte flags = in.getByte(start + 4);
		int streamId = streamId(in, start);
		in.skipBytes(FRAME_HEADER_LENGTH);
		passCut(ctx, in, length, cut, flags, streamId);
	}

	/**
	 * Passes on the next {@code length} payload bytes of {@code in} as two DATA frames of
	 * {@code streamId}, cut at {@code cut}: the bytes of messages that end in this read
	 * (a slice where payloads may be sliced: gRPC is done with them before the read
	 * ends), then the head of the incomplete message in a copy of its own, with the
	 * flags.
	 */
	private void passCut(ChannelHandlerContext ctx, ByteBuf in, int length, int cut, int flags, int streamId) {
		ByteBuf firstHeader = dataHeader(ctx, cut, notEnding(flags), streamId);
		ByteBuf first = this.sliceFilledBuffers ? in.readRetainedSlice(cut) : copy(ctx, in, cut);
		ByteBuf secondHeader = dataHeader(ctx, length - cut, flags, streamId);
		ByteBuf second = copy(ctx, in, length - cut);
		this.splitDataFrames++;
		passAll(ctx, firstHeader, first, secondHeader, second);
	}

	/**
	 * Passes on a frame that spans reads and did not go on in pieces (not DATA, or a
	 * padded or empty DATA frame). A DATA frame goes on as its header, then its payload
	 * in a buffer of its own (the held copy, or a copy of the slice that completed it),
	 * one right after the other: gRPC's frame reader keeps the header in fields, its
	 * cumulation is empty after each, and the payload it keeps costs what it carries. A
	 * slice of a read buffer that also holds the next header would cost the pool's next
	 * size class (16384 + 9 bytes take 20 KiB).
	 */
	@Override
	protected void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied) {
		int length = payload.readableBytes();
		byte type = header.getByte(3);
		byte flags = header.getByte(4);
		int streamId = streamId(header, 0);
		if (type != DATA || length == 0) {
			if (type == DATA) {
				this.boundaries.dataFrame(streamId, flags, payload, payload.readerIndex(), 0);
			}
			else {
				this.boundaries.controlFrame(type, flags, streamId);
			}
			ByteBuf frame = ctx.alloc().buffer(FRAME_HEADER_LENGTH + length, FRAME_HEADER_LENGTH + length);
			frame.writeBytes(header, 0, FRAME_HEADER_LENGTH);
			frame.writeBytes(payload);
			payload.release();
			ctx.fireChannelRead(frame);
			return;
		}
		// A padded DATA frame (the others go on in pieces): followed, never cut.
		this.boundaries.dataFrame(streamId, flags, payload, payload.readerIndex(), length);
		ByteBuf headerCopy = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
		headerCopy.writeBytes(header, 0, FRAME_HEADER_LENGTH);
		ctx.fireChannelRead(headerCopy);
		if (isClosed()) {
			payload.release();
			return;
		}
		if (!copied) {
			ByteBuf own = copy(ctx, payload, length);
			payload.release();
			payload = own;
		}
		ctx.fireChannelRead(payload);
	}

	/**
	 * Passes the pieces of a split frame on in order; if the decoder stops meanwhile,
	 * releases those not passed on (if it was removed, they go on: the rest of the read
	 * follows them).
	 */
	private void passAll(ChannelHandlerContext ctx, ByteBuf... pieces) {
		for (int i = 0; i < pieces.length; i++) {
			if (isClosed() && !ctx.isRemoved()) {
				for (int j = i; j < pieces.length; j++) {
					pieces[j].release();
				}
				return;
			}
			ctx.fireChannelRead(pieces[i]);
		}
	}

	private static ByteBuf dataHeader(ChannelHandlerContext ctx, int length, int flags, int streamId) {
		ByteBuf header = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
		setDataHeader(header, 0, length, flags, streamId);
		return header.writerIndex(FRAME_HEADER_LENGTH);
	}

	/** Writes a DATA frame header at {@code index}, leaving the buffer's indexes. */
	private static void setDataHeader(ByteBuf buffer, int index, int length, int flags, int streamId) {
		buffer.setMedium(index, length);
		buffer.setByte(index + 3, DATA);
		buffer.setByte(index + 4, flags);
		buffer.setInt(index + 5, streamId);
	}

	/** An exact-size copy of the next {@code length} bytes of {@code source}. */
	private static ByteBuf copy(ChannelHandlerContext ctx, ByteBuf source, int length) {
		ByteBuf copy = ctx.alloc().buffer(length, length);
		copy.writeBytes(source, length);
		return copy;
	}

	/** Passes on the complete frames of this read not passed on yet. */
	@Override
	protected boolean endOfWholeFrames(ChannelHandlerContext ctx, ByteBuf in) {
		int start = this.runStart;
		if (start < 0) {
			return true;
		}
		this.runStart = -1;
		return pass(ctx, in.retainedSlice(start, in.readerIndex() - start), in);
	}

}
