package io.github.readyread.grpc.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

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
 * read; a DATA frame that covers less than half of its carrying buffer goes on in its own
 * exact-size copy, so gRPC's deframer, which keeps DATA buffers until a message is
 * complete, keeps what they carry and not the read buffer around them. A DATA frame that
 * spans reads goes on as its 9-byte header immediately followed by its payload in a
 * buffer of its own (gRPC's frame reader keeps a header in fields, so its cumulation is
 * still empty after each), rather than in one 9 + 16384 byte buffer that the pool would
 * round up to 20 KiB. The bytes of an incomplete frame are copied into a
 * {@link PartialFrame} (its 9-byte header into a field); nothing of a read buffer is
 * retained across a wait. On the server the 24-byte client connection preface is passed
 * on first, in one piece. A frame longer than the maximum frame size is never buffered:
 * the aligner steps aside and passes everything on as it comes, so gRPC fails the
 * connection with {@code FRAME_SIZE_ERROR}.
 *
 * <p>
 * As the outermost decoder of a plaintext connection it tells the connection's
 * {@link ReadDemand} what it misses; behind a record decoder (ALTS) it leaves that to the
 * record decoder.
 */
public final class Http2FrameAligner extends ChannelInboundHandlerAdapter {

	/** Size of an HTTP/2 frame header. */
	public static final int FRAME_HEADER_LENGTH = 9;

	/** gRPC-Java's (and HTTP/2's) default maximum frame size. */
	public static final int DEFAULT_MAX_FRAME_SIZE = 16384;

	/**
	 * Length of the client connection preface, {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}.
	 */
	public static final int CLIENT_PREFACE_LENGTH = 24;

	private static final byte DATA = 0x0;

	private final int maxFrameSize;

	private final ReadPathStats stats;

	private final boolean updatesDemand;

	private final boolean copyData;

	private final byte[] header = new byte[FRAME_HEADER_LENGTH];

	private int headerFill;

	private int payloadLength;

	private int prefaceRemaining;

	private PartialFrame partial;

	private boolean passThrough;

	private boolean closed;

	/**
	 * @param server whether this reads a server's connection (and so expects the client
	 * preface first)
	 * @param maxFrameSize largest frame payload accepted, as advertised in
	 * {@code SETTINGS_MAX_FRAME_SIZE}
	 * @param stats where incomplete frames are counted
	 * @param updatesDemand whether this is the connection's outermost decoder and sets
	 * its {@link ReadDemand}
	 */
	public Http2FrameAligner(boolean server, int maxFrameSize, ReadPathStats stats, boolean updatesDemand) {
		this(server, maxFrameSize, stats, updatesDemand, false);
	}

	/**
	 * @param server whether this reads a server's connection (and so expects the client
	 * preface first)
	 * @param maxFrameSize largest frame payload accepted, as advertised in
	 * {@code SETTINGS_MAX_FRAME_SIZE}
	 * @param stats where incomplete frames are counted
	 * @param updatesDemand whether this is the connection's outermost decoder and sets
	 * its {@link ReadDemand}
	 * @param copyData whether every DATA frame goes on in a copy of its own, never a
	 * slice of the read buffer: for read buffers shared by connections (io_uring rings),
	 * which gRPC's deframer must not keep
	 */
	public Http2FrameAligner(boolean server, int maxFrameSize, ReadPathStats stats, boolean updatesDemand,
			boolean copyData) {
		if (maxFrameSize < DEFAULT_MAX_FRAME_SIZE || maxFrameSize > 0xFFFFFF) {
			throw new IllegalArgumentException("maxFrameSize must be between 16384 and 16777215, was " + maxFrameSize);
		}
		if (stats == null) {
			throw new NullPointerException("stats is required");
		}
		this.maxFrameSize = maxFrameSize;
		this.stats = stats;
		this.updatesDemand = updatesDemand;
		this.copyData = copyData;
		this.prefaceRemaining = server ? CLIENT_PREFACE_LENGTH : 0;
	}

	/** For a plaintext connection, where the aligner reads the socket's bytes. */
	public static Http2FrameAligner outermost(boolean server, ReadPathStats stats) {
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, stats, true);
	}

	/**
	 * For a plaintext connection that reads into shared read buffers (io_uring rings):
	 * every DATA frame goes on in a copy of its own.
	 */
	public static Http2FrameAligner outermostOnSharedBuffers(boolean server, ReadPathStats stats) {
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, stats, true, true);
	}

	/**
	 * For a connection whose bytes come out of a record decoder (ALTS), placed right
	 * after it; the record decoder keeps the {@link ReadDemand}.
	 */
	public static Http2FrameAligner behindRecordDecoder(boolean server, ReadPathStats stats) {
		return new Http2FrameAligner(server, DEFAULT_MAX_FRAME_SIZE, stats, false);
	}

	/** Bytes of the incomplete frame held (header included). */
	public int heldBytes() {
		return this.headerFill + ((this.partial != null) ? this.partial.readableBytes() : 0);
	}

	/** Whether a frame above the maximum size made the aligner step aside. */
	public boolean isPassingThrough() {
		return this.passThrough;
	}

	@Override
	public void handlerAdded(ChannelHandlerContext ctx) {
		this.partial = new PartialFrame(ctx.alloc(), this.stats);
		updateDemand(ctx);
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		release();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		release();
		ctx.fireChannelInactive();
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (!(msg instanceof ByteBuf in) || this.passThrough) {
			ctx.fireChannelRead(msg);
			return;
		}
		if (this.closed) {
			in.release();
			return;
		}
		try {
			align(ctx, in);
		}
		finally {
			in.release();
		}
		updateDemand(ctx);
	}

	private void align(ChannelHandlerContext ctx, ByteBuf in) {
		if (this.prefaceRemaining > 0) {
			int n = Math.min(this.prefaceRemaining, in.readableBytes());
			this.partial.append(in, n);
			this.prefaceRemaining -= n;
			if (this.prefaceRemaining > 0) {
				return;
			}
			if (!fire(ctx, this.partial.take(), in)) {
				return;
			}
		}
		if (this.headerFill > 0 && !completePending(ctx, in)) {
			return;
		}
		int runStart = -1;
		while (in.isReadable()) {
			int readable = in.readableBytes();
			if (readable < FRAME_HEADER_LENGTH) {
				if (!flush(ctx, in, runStart)) {
					return;
				}
				runStart = -1;
				this.headerFill = readable;
				in.readBytes(this.header, 0, readable);
				return;
			}
			int start = in.readerIndex();
			int length = in.getUnsignedMedium(start);
			if (length > this.maxFrameSize) {
				if (flush(ctx, in, runStart)) {
					stepAside(ctx, null, in);
				}
				return;
			}
			int frameLength = FRAME_HEADER_LENGTH + length;
			if (readable < frameLength) {
				if (!flush(ctx, in, runStart)) {
					return;
				}
				in.readBytes(this.header);
				this.headerFill = FRAME_HEADER_LENGTH;
				this.payloadLength = length;
				this.partial.append(in, in.readableBytes());
				return;
			}
			boolean smallData = in.getByte(start + 3) == DATA
					&& (this.copyData || length > 0 && 2 * frameLength < carrierCapacity(in));
			if (!smallData) {
				if (runStart < 0) {
					runStart = start;
				}
				in.skipBytes(frameLength);
				continue;
			}
			if (!flush(ctx, in, runStart)) {
				return;
			}
			runStart = -1;
			if (this.copyData && length > 0) {
				// Header and payload apart, as for a frame that spans reads: a 9 + 16384
				// byte copy would take the pool's 20 KiB size class.
				ByteBuf header = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
				header.writeBytes(in, FRAME_HEADER_LENGTH);
				if (!fire(ctx, header, in)) {
					return;
				}
				frameLength = length;
			}
			ByteBuf copy = ctx.alloc().buffer(frameLength, frameLength);
			copy.writeBytes(in, frameLength);
			if (!fire(ctx, copy, in)) {
				return;
			}
		}
		flush(ctx, in, runStart);
	}

	/**
	 * Completes the frame whose start arrived earlier; false if it is still incomplete or
	 * the rest of {@code in} was dealt with otherwise.
	 */
	private boolean completePending(ChannelHandlerContext ctx, ByteBuf in) {
		if (this.headerFill < FRAME_HEADER_LENGTH) {
			int n = Math.min(FRAME_HEADER_LENGTH - this.headerFill, in.readableBytes());
			in.readBytes(this.header, this.headerFill, n);
			this.headerFill += n;
			if (this.headerFill < FRAME_HEADER_LENGTH) {
				return false;
			}
			this.payloadLength = ((this.header[0] & 0xFF) << 16) | ((this.header[1] & 0xFF) << 8)
					| (this.header[2] & 0xFF);
			if (this.payloadLength > this.maxFrameSize) {
				ByteBuf header = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
				header.writeBytes(this.header);
				this.headerFill = 0;
				stepAside(ctx, header, in);
				return false;
			}
		}
		int missing = this.payloadLength - this.partial.readableBytes();
		if (in.readableBytes() < missing) {
			this.partial.append(in, in.readableBytes());
			return false;
		}
		boolean data = this.header[3] == DATA && this.payloadLength > 0;
		this.headerFill = 0;
		if (data) {
			return fireData(ctx, in, missing);
		}
		int frameLength = FRAME_HEADER_LENGTH + this.payloadLength;
		ByteBuf frame = ctx.alloc().buffer(frameLength, frameLength);
		frame.writeBytes(this.header);
		writeHeld(frame);
		frame.writeBytes(in, missing);
		return fire(ctx, frame, in);
	}

	/**
	 * Passes on a DATA frame that spans reads as its header, then its payload in a buffer
	 * of its own (or {@code in} itself if the payload is all of it), one right after the
	 * other: gRPC's frame reader keeps the header in fields, its cumulation is empty
	 * after each, and the payload it keeps costs what it carries. A slice of a read
	 * buffer that also holds the next header would cost the pool's next size class (16384
	 * + 9 bytes take 20 KiB); the copy is one 16 KiB memcpy per frame.
	 */
	private boolean fireData(ChannelHandlerContext ctx, ByteBuf in, int missing) {
		ByteBuf header = ctx.alloc().buffer(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH);
		header.writeBytes(this.header);
		if (!fire(ctx, header, in)) {
			return false;
		}
		ByteBuf payload;
		if (!this.copyData && this.partial.isEmpty() && missing == carrierCapacity(in)) {
			payload = in.readRetainedSlice(missing);
		}
		else {
			payload = ctx.alloc().buffer(this.payloadLength, this.payloadLength);
			writeHeld(payload);
			payload.writeBytes(in, missing);
		}
		return fire(ctx, payload, in);
	}

	private void writeHeld(ByteBuf target) {
		if (this.partial.isEmpty()) {
			return;
		}
		ByteBuf held = this.partial.take();
		try {
			target.writeBytes(held);
		}
		finally {
			held.release();
		}
	}

	private static int carrierCapacity(ByteBuf in) {
		ByteBuf carrier = in;
		while (carrier.unwrap() != null) {
			carrier = carrier.unwrap();
		}
		return carrier.capacity();
	}

	/** Passes on the complete frames {@code in} holds from {@code runStart}. */
	private boolean flush(ChannelHandlerContext ctx, ByteBuf in, int runStart) {
		if (runStart < 0) {
			return true;
		}
		return fire(ctx, in.retainedSlice(runStart, in.readerIndex() - runStart), in);
	}

	/**
	 * Passes {@code frames} on; false if the aligner was removed or closed meanwhile (the
	 * rest of {@code in} is then passed on or dropped).
	 */
	private boolean fire(ChannelHandlerContext ctx, ByteBuf frames, ByteBuf in) {
		ctx.fireChannelRead(frames);
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

	/**
	 * A frame above the maximum size: never buffer it; let gRPC see it and fail the
	 * connection.
	 */
	private void stepAside(ChannelHandlerContext ctx, ByteBuf header, ByteBuf in) {
		this.passThrough = true;
		this.partial.release();
		if (header != null) {
			ctx.fireChannelRead(header);
		}
		if (in.isReadable()) {
			ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
		}
	}

	private void updateDemand(ChannelHandlerContext ctx) {
		if (!this.updatesDemand) {
			return;
		}
		ReadDemand demand = ReadDemand.of(ctx.channel());
		if (demand == null) {
			return;
		}
		if (this.passThrough || this.closed) {
			demand.await(1, 4096);
		}
		else if (this.prefaceRemaining > 0) {
			demand.await(this.prefaceRemaining, this.prefaceRemaining + FRAME_HEADER_LENGTH);
		}
		else if (this.headerFill < FRAME_HEADER_LENGTH) {
			int missing = FRAME_HEADER_LENGTH - this.headerFill;
			demand.await(missing, missing);
		}
		else {
			int missing = this.payloadLength - this.partial.readableBytes();
			demand.await(missing, missing + FRAME_HEADER_LENGTH);
		}
	}

	private void release() {
		this.closed = true;
		if (this.partial != null) {
			this.partial.release();
		}
	}

}
