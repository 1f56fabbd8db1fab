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
 * delivered), so what a DATA payload goes on in decides what a waiting message pins:
 * <ul>
 * <li>in a read buffer that whole DATA frames fill to at least three quarters
 * ({@value #SLICE_SHARE_PERCENT} %), the usual case while a stream is busy, DATA frames
 * go on in the slice with the rest, as in gRPC's own read path: no copy, and a waiting
 * message keeps that buffer, whose other bytes may belong to messages delivered since (as
 * in gRPC's own read path; on a connection of one busy stream, the rest of the first and
 * last buffers of the message);</li>
 * <li>otherwise (a small read, mostly control frames or the head of a frame, or a read
 * buffer shared by connections: io_uring's rings, see {@link #outermostOnSharedBuffers})
 * the payload of a DATA frame goes on in its own exact-size copy (its header with the
 * frames before it), so the deframer keeps what it carries and not the read buffer around
 * it (an empty DATA frame goes on as a 9-byte copy of its header: even that may stay in
 * the deframer until the next one).</li>
 * </ul>
 * A DATA frame that spans reads goes on as its 9-byte header immediately followed by its
 * payload in a buffer of its own (gRPC's frame reader keeps a header in fields, so its
 * cumulation is still empty after each), rather than in one 9 + 16384 byte buffer that
 * the pool would round up to 20 KiB. The bytes of an incomplete frame are held by
 * {@link FrameDecoder} (its 9-byte header in a field, its payload in a
 * {@link PartialFrame}); nothing of a read buffer is retained across a wait. On the
 * server the 24-byte client connection preface is passed on first, in one piece. A frame
 * longer than the maximum frame size is never buffered: the aligner steps aside and
 * passes everything on as it comes, so gRPC fails the connection with
 * {@code FRAME_SIZE_ERROR}.
 *
 * <p>
 * gRPC's deframer keeps every DATA payload buffer it was given until the messages in it
 * are complete, so the head of a message that begins behind the end of another would keep
 * the whole frame's buffer while it waits for its rest. The aligner follows where gRPC
 * messages begin in each stream's DATA frames ({@link MessageBoundaries}) and passes such
 * a frame on as two DATA frames of the same stream, the second holding just the head of
 * the incomplete message, in an exact-size copy of its own:
 *
 * <pre>
 *   DATA [ end of A | B | head of C ]       C not complete in this frame
 *   ->  DATA [ end of A | B ]   DATA [ head of C ]   (9-byte header, then the copy)
 * </pre>
 *
 * The pieces carry the frame's bytes in the same order, and its flags (END_STREAM would
 * stay on the last, but a frame that ends its stream is never cut: nothing waits after
 * it), so HTTP/2 flow control counts the same bytes and gRPC reads the same messages. Not
 * cut either: a frame whose bytes all belong to one message (a large unary message costs
 * no copy), a padded frame (its padding is flow-controlled with the frame that carries
 * it, and would have to go with one piece or be split; gRPC never pads), a frame of a
 * stream not followed, and a frame whose incomplete message the next DATA frame of the
 * same read completes (gRPC is done with both before the read ends). Cut frames cost two
 * 9-byte headers and the copy of the head; frames not cut cost nothing more than before.
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

	/** gRPC-Java's (and HTTP/2's) default maximum frame size. */
	public static final int DEFAULT_MAX_FRAME_SIZE = 16384;

	/**
	 * Length of the client connection preface, {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}.
	 */
	public static final int CLIENT_PREFACE_LENGTH = 24;

	/**
	 * Least share of a read buffer's capacity that the payloads of its whole DATA frames
	 * must take for them to go on as slices of it.
	 */
	public static final int SLICE_SHARE_PERCENT = 75;

	private static final byte DATA = 0x0;

	private final int maxFrameSize;

	private final MessageBoundaries boundaries = new MessageBoundaries();

	private final boolean sliceFilledBuffers;

	/** Whether the DATA frames of the current read go on as slices of it. */
	private boolean sliceData;

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
	 * An aligner that passes DATA payloads on as slices of read buffers they fill to at
	 * least {@value #SLICE_SHARE_PERCENT} %, if {@code sliceFilledBuffers}, and in copies
	 * of their own otherwise.
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
		super(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH, server ? CLIENT_PREFACE_LENGTH : 0, demand, stats);
		this.sliceFilledBuffers = sliceFilledBuffers;
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
				dataFrames == DataFrames.SLICE_FILLED_READS);
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
				dataFrames == DataFrames.SLICE_FILLED_READS);
	}

	/**
	 * DATA frames passed on in two pieces so far, to keep the head of an incomplete gRPC
	 * message in a buffer of its own.
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
	 * Whether the DATA frames whole in this read fill enough of its buffer to go on as
	 * slices of it: headers only are read (a few per read), the frames are not checked
	 * here ({@link #payloadLength} does that when it gets to them).
	 */
	@Override
	protected void wholeFramesAhead(ByteBuf in) {
		if (!this.sliceFilledBuffers) {
			return;
		}
		int index = in.readerIndex();
		int end = in.writerIndex();
		long data = 0;
		while (end - index >= FRAME_HEADER_LENGTH) {
			int length = in.getUnsignedMedium(index);
			if (end - index - FRAME_HEADER_LENGTH < length) {
				break;
			}
			if (in.getByte(index + 3) == DATA) {
				data += length;
			}
			index += FRAME_HEADER_LENGTH + length;
		}
		this.sliceData = data * 100 >= (long) in.capacity() * SLICE_SHARE_PERCENT;
	}

	@Override
	protected void wholeFrame(ChannelHandlerContext ctx, ByteBuf in, int length) {
		int start = in.readerIndex();
		int frameLength = FRAME_HEADER_LENGTH + length;
		byte type = in.getByte(start + 3);
		boolean data = type == DATA;
		int streamId = in.getInt(start + 5) & 0x7FFFFFFF;
		byte flags = in.getByte(start + 4);
		int cut = 0;
		if (data) {
			cut = this.boundaries.dataFrame(streamId, flags, in, start + FRAME_HEADER_LENGTH, length);
		}
		else {
			this.boundaries.controlFrame(type, flags, streamId);
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
		if (cut > 0 && !completedByNextFrame(in, start + frameLength, streamId)) {
			splitWholeFrame(ctx, in, length, cut);
			return;
		}
		if (!data || this.sliceData) {
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
	 * Whether the frame at {@code next} is whole in this read, a DATA frame of
	 * {@code streamId} without padding, and completes the message the frame before it
	 * left incomplete: gRPC then frees the first frame's buffer within this read, and a
	 * cut would only cost copies (a stream of small messages read 64 KiB at a time).
	 */
	private boolean completedByNextFrame(ByteBuf in, int next, int streamId) {
		long missing = this.boundaries.missingBytes(streamId);
		if (missing < 0 || in.writerIndex() - next < FRAME_HEADER_LENGTH) {
			return false;
		}
		int length = in.getUnsignedMedium(next);
		return in.getByte(next + 3) == DATA && (in.getByte(next + 4) & MessageBoundaries.PADDED) == 0
				&& (in.getInt(next + 5) & 0x7FFFFFFF) == streamId && length <= this.maxFrameSize
				&& in.writerIndex() - next - FRAME_HEADER_LENGTH >= length && length >= missing;
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
		int streamId = in.getInt(start + 5) & 0x7FFFFFFF;
		in.skipBytes(FRAME_HEADER_LENGTH);
		ByteBuf firstHeader = dataHeader(ctx, cut, flags & ~MessageBoundaries.END_STREAM, streamId);
		ByteBuf first = copy(ctx, in, cut);
		ByteBuf secondHeader = dataHeader(ctx, length - cut, flags, streamId);
		ByteBuf second = copy(ctx, in, length - cut);
		this.splitDataFrames++;
		passAll(ctx, firstHeader, first, secondHeader, second);
	}

	/**
	 * Passes on a frame that spans reads. A DATA frame goes on as its header, then its
	 * payload in a buffer of its own (the held copy, or a copy of the slice that
	 * completed it), one right after the other: gRPC's frame reader keeps the header in
	 * fields, its cumulation is empty after each, and the payload it keeps costs what it
	 * carries. A slice of a read buffer that also holds the next header would cost the
	 * pool's next size class (16384 + 9 bytes take 20 KiB); the copy is one 16 KiB memcpy
	 * per frame.
	 */
	@Override
	protected void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied) {
		int length = payload.readableBytes();
		byte type = header.getByte(3);
		byte flags = header.getByte(4);
		int streamId = header.getInt(5) & 0x7FFFFFFF;
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
		int cut = this.boundaries.dataFrame(streamId, flags, payload, payload.readerIndex(), length);
		boolean copy = !copied;
		if (cut > 0) {
			ByteBuf second = ctx.alloc().buffer(length - cut, length - cut);
			second.writeBytes(payload, payload.readerIndex() + cut, length - cut);
			payload.writerIndex(payload.readerIndex() + cut);
			ByteBuf first = payload;
			if (copy) {
				first = copy(ctx, payload, cut);
				payload.release();
			}
			this.splitDataFrames++;
			passAll(ctx, dataHeader(ctx, cut, flags & ~MessageBoundaries.END_STREAM, streamId), first,
					dataHeader(ctx, length - cut, flags, streamId), second);
			return;
		}
		ByteBuf headerCopy = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
		headerCopy.writeBytes(header, 0, FRAME_HEADER_LENGTH);
		ctx.fireChannelRead(headerCopy);
		if (isClosed()) {
			payload.release();
			return;
		}
		if (copy) {
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
		header.writeMedium(length);
		header.writeByte(DATA);
		header.writeByte(flags);
		header.writeInt(streamId);
		return header;
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
