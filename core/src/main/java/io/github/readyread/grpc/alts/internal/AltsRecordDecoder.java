package io.github.readyread.grpc.alts.internal;

import java.security.GeneralSecurityException;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.internal.FrameDecoder;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.github.readyread.grpc.transport.internal.PartialFrame;
import io.github.readyread.grpc.transport.internal.ReadDemand;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.jspecify.annotations.Nullable;

/**
 * Unprotects ALTS records read from the socket without ever keeping a slice of a read
 * buffer across a wait for more bytes.
 *
 * <pre>
 *   +-----------+-----------+---------------------+----------+
 *   | length LE | type LE=6 | ciphertext          | tag (16) |
 *   +-----------+-----------+---------------------+----------+
 *     4 bytes     \_____________ length bytes _______________/
 * </pre>
 *
 * The 8-byte header is held by {@link FrameDecoder}; the length is checked as soon as its
 * 4 bytes are there, before anything is allocated for the frame. Like grpc-java's and
 * C-core's record layers, it accepts any frame up to {@link AltsFrameSizes#HARD_LIMIT} (1
 * MiB), whatever frame size this side's handshake resolved: the peer's handshaker may
 * have resolved a larger one.
 *
 * <pre>
 *   read buffer [ rest of record 1 | record 2 | record 3 | head of record 4 ]
 *                 \_ completes the copy held      decrypted straight from the read buffer
 *   plaintext   [ 9 free | record 1 | record 2 | record 3 ]  one buffer of their size
 * </pre>
 *
 * In front of the HTTP/2 frame aligner, the records a read completes go on as one
 * plaintext buffer of their size, decrypted straight from the read buffer (and from the
 * copy of a record that began in an earlier read), as stock grpc-alts decrypts a read's
 * records into one buffer: an HTTP/2 frame that crosses a record boundary inside the read
 * is then whole for the aligner, not held and copied, and the aligner copies what gRPC
 * keeps. That buffer leaves {@link Http2FrameAligner#HEADROOM} bytes free in front of the
 * plaintext, as the receive allocator does in front of a read: the aligner writes the
 * header of a DATA frame's piece there, so a read's frames go on in one slice of it. With
 * gRPC's own HTTP/2 decoder right behind (the conventional read path), which keeps slices
 * of what it is given, each record goes on in a buffer of its own plaintext's size. The
 * bytes of an incomplete frame are copied into a {@link PartialFrame} of their own size.
 * Every read buffer is released in the {@code channelRead} that brought it, and the
 * plaintext is passed on within it.
 */
public final class AltsRecordDecoder extends FrameDecoder {

	/** Bytes of the length and type fields. */
	public static final int HEADER_BYTES = 8;

	/** Type of an ALTS record frame. */
	public static final int FRAME_TYPE = 6;

	/** Smallest legal length field: the type field and an empty ciphertext's tag. */
	public static final int MIN_LENGTH_FIELD = 4 + AltsCrypter.TAG_LENGTH;

	private static final int LENGTH_BYTES = 4;

	private final AltsCrypter crypter;

	private boolean failed;

	/**
	 * Ciphertext and tag of the record completed at the start of this read, kept until
	 * the read's whole records are known, or {@code null}; never set with {@link #batch}.
	 */
	private @Nullable ByteBuf held;

	/** Whether {@link #held} is a copy of its own rather than a slice of the read. */
	private boolean heldCopied;

	/** Plaintext of this read's records decrypted so far, or {@code null}. */
	private @Nullable ByteBuf batch;

	private final boolean oneBufferPerRead;

	/**
	 * A record decoder that is not its connection's outermost decoder (or has no demand
	 * to keep), in front of the HTTP/2 frame aligner.
	 * @param crypter the receiving crypter of this connection
	 * @param stats where incomplete-frame bytes are counted
	 */
	public AltsRecordDecoder(AltsCrypter crypter, ReadPathStats stats) {
		this(crypter, null, stats);
	}

	/**
	 * A record decoder in front of the HTTP/2 frame aligner.
	 * @param crypter the receiving crypter of this connection
	 * @param demand the connection's demand, which this decoder keeps, or {@code null}
	 * @param stats where incomplete-frame bytes are counted (bytes read are the
	 * connection's head handler's to count)
	 */
	public AltsRecordDecoder(AltsCrypter crypter, @Nullable ReadDemand demand, ReadPathStats stats) {
		this(crypter, demand, stats, true);
	}

	/**
	 * A record decoder, one plaintext buffer per read or per record.
	 * @param crypter the receiving crypter of this connection
	 * @param demand the connection's demand, which this decoder keeps, or {@code null}
	 * @param stats where incomplete-frame bytes are counted (bytes read are the
	 * connection's head handler's to count)
	 * @param oneBufferPerRead whether the records a read completes go on in one buffer
	 * (for the HTTP/2 frame aligner, which copies what gRPC keeps), rather than one
	 * buffer per record (for gRPC's own HTTP/2 decoder, which keeps slices)
	 */
	public AltsRecordDecoder(AltsCrypter crypter, @Nullable ReadDemand demand, ReadPathStats stats,
			boolean oneBufferPerRead) {
		super(HEADER_BYTES, LENGTH_BYTES, 0, demand, stats);
		if (crypter == null) {
			throw new NullPointerException("crypter is required");
		}
		this.crypter = crypter;
		this.oneBufferPerRead = oneBufferPerRead;
	}

	@Override
	protected int payloadLength(ChannelHandlerContext ctx, ByteBuf buffer, int index) {
		long length = buffer.getUnsignedIntLE(index);
		if (length < MIN_LENGTH_FIELD) {
			fail(ctx, Status.INTERNAL,
					"ALTS frame length " + length + " is below the minimum " + MIN_LENGTH_FIELD + " (type and tag)",
					null);
			return -1;
		}
		if (length + 4 > AltsFrameSizes.HARD_LIMIT) {
			fail(ctx, Status.INTERNAL, "ALTS frame length " + length + " exceeds the maximum "
					+ (AltsFrameSizes.HARD_LIMIT - 4) + " (frame size " + AltsFrameSizes.HARD_LIMIT + ")", null);
			return -1;
		}
		return (int) length - 4;
	}

	@Override
	protected boolean headerComplete(ChannelHandlerContext ctx, ByteBuf buffer, int index) {
		long type = buffer.getUnsignedIntLE(index + LENGTH_BYTES);
		if (type != FRAME_TYPE) {
			fail(ctx, Status.INTERNAL, "ALTS frame type " + type + " is not the record type " + FRAME_TYPE, null);
			return false;
		}
		return true;
	}

	@Override
	protected void wholeFrame(ChannelHandlerContext ctx, ByteBuf in, int payloadLength) {
		if (!this.oneBufferPerRead) {
			in.skipBytes(HEADER_BYTES);
			ByteBuf plaintext = decryptToOwnBuffer(ctx, in.readSlice(payloadLength));
			if (plaintext != null) {
				ctx.fireChannelRead(plaintext);
			}
			return;
		}
		if (this.batch == null) {
			int size = plaintextOfWholeRecords(in, in.readerIndex());
			ByteBuf held = this.held;
			if (held != null) {
				size += held.readableBytes() - AltsCrypter.TAG_LENGTH;
			}
			int capacity = Http2FrameAligner.HEADROOM + size;
			this.batch = ctx.alloc()
				.buffer(capacity, capacity)
				.setIndex(Http2FrameAligner.HEADROOM, Http2FrameAligner.HEADROOM);
			if (held != null) {
				this.held = null;
				try {
					if (!decryptInto(ctx, held, this.batch)) {
						return;
					}
				}
				finally {
					held.release();
				}
			}
		}
		in.skipBytes(HEADER_BYTES);
		decryptInto(ctx, in.readSlice(payloadLength), this.batch);
	}

	@Override
	protected void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied) {
		if (!this.oneBufferPerRead) {
			ByteBuf plaintext = decryptAlone(ctx, payload, copied);
			if (plaintext != null) {
				ctx.fireChannelRead(plaintext);
			}
			return;
		}
		// Decrypted with the whole records after it, if this read has any.
		this.held = payload;
		this.heldCopied = copied;
	}

	@Override
	protected boolean endOfWholeFrames(ChannelHandlerContext ctx, ByteBuf in) {
		ByteBuf plaintext = takeDecrypted(ctx);
		// Null also when the record just decrypted failed: then nothing more is decoded.
		return (plaintext != null) ? pass(ctx, plaintext, in) : stillDecoding(ctx, in);
	}

	/**
	 * What this read decrypted, taken for passing on: the plaintext of its whole records,
	 * or of the record it completed alone (decrypted now); {@code null} if none or if the
	 * record just decrypted is not authentic.
	 */
	private @Nullable ByteBuf takeDecrypted(ChannelHandlerContext ctx) {
		ByteBuf held = this.held;
		if (held != null) {
			this.held = null;
			return decryptAlone(ctx, held, this.heldCopied);
		}
		ByteBuf plaintext = this.batch;
		this.batch = null;
		return plaintext;
	}

	/**
	 * Decrypts one record's ciphertext and tag, which stay the caller's, after the
	 * plaintext already in {@code out}; false if it is not authentic (the decoder then
	 * failed).
	 */
	private boolean decryptInto(ChannelHandlerContext ctx, ByteBuf ciphertextAndTag, ByteBuf out) {
		int length = ciphertextAndTag.readableBytes();
		// A record across the components of a composite read (tests, never a socket
		// read) is decrypted from a copy.
		ByteBuf contiguous = (ciphertextAndTag.nioBufferCount() == 1) ? ciphertextAndTag
				: ctx.alloc().buffer(length, length).writeBytes(ciphertextAndTag);
		try {
			this.crypter.decrypt(out, contiguous);
			return true;
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			authenticationFailed(ctx, length, ex);
			return false;
		}
		finally {
			if (contiguous != ciphertextAndTag) {
				contiguous.release();
			}
		}
	}

	/**
	 * Decrypts a record completed by this read and followed by no whole record into a
	 * buffer of its plaintext's size (in place if it is a copy of its own), releasing
	 * {@code record}; {@code null} if it is not authentic.
	 */
	private @Nullable ByteBuf decryptAlone(ChannelHandlerContext ctx, ByteBuf record, boolean copied) {
		int length = record.readableBytes();
		if (copied) {
			try {
				this.crypter.decryptInPlace(record);
				return record;
			}
			catch (GeneralSecurityException | RuntimeException ex) {
				record.release();
				authenticationFailed(ctx, length, ex);
				return null;
			}
		}
		try {
			return decryptToOwnBuffer(ctx, record);
		}
		finally {
			record.release();
		}
	}

	/**
	 * Decrypts one record's ciphertext and tag, which stay the caller's, into a buffer of
	 * its plaintext's size; {@code null} if it is not authentic.
	 */
	private @Nullable ByteBuf decryptToOwnBuffer(ChannelHandlerContext ctx, ByteBuf ciphertextAndTag) {
		int size = ciphertextAndTag.readableBytes() - AltsCrypter.TAG_LENGTH;
		ByteBuf plaintext = ctx.alloc().buffer(size, size);
		if (decryptInto(ctx, ciphertextAndTag, plaintext)) {
			return plaintext;
		}
		plaintext.release();
		return null;
	}

	/**
	 * Plaintext bytes of the whole records at {@code index} and after it in {@code in},
	 * from their length fields (the decoder checks each header when it gets there).
	 */
	private static int plaintextOfWholeRecords(ByteBuf in, int index) {
		int end = in.writerIndex();
		long total = 0;
		while (end - index >= HEADER_BYTES) {
			long length = in.getUnsignedIntLE(index);
			if (length < MIN_LENGTH_FIELD || length + LENGTH_BYTES > AltsFrameSizes.HARD_LIMIT
					|| end - index - LENGTH_BYTES < length) {
				break;
			}
			total += length - 4 - AltsCrypter.TAG_LENGTH;
			index += LENGTH_BYTES + (int) length;
		}
		return (int) total;
	}

	private void authenticationFailed(ChannelHandlerContext ctx, int payloadLength, Exception ex) {
		fail(ctx, Status.INTERNAL, "ALTS record authentication failed (frame of length " + (payloadLength + 4) + "): "
				+ ex.getClass().getSimpleName(), ex);
	}

	private void fail(ChannelHandlerContext ctx, Status status, String description, @Nullable Throwable cause) {
		if (this.failed) {
			return;
		}
		this.failed = true;
		// The records of this read decrypted before the failure are authentic: they go
		// on, as they would have one by one.
		ByteBuf authentic = takeDecrypted(ctx);
		if (authentic != null && authentic.isReadable()) {
			ctx.fireChannelRead(authentic);
		}
		else if (authentic != null) {
			authentic.release();
		}
		stop();
		ctx.fireExceptionCaught(status.withDescription(description).withCause(cause).asRuntimeException());
		ctx.close();
	}

	@Override
	protected void stopped() {
		if (this.held != null) {
			this.held.release();
			this.held = null;
		}
		if (this.batch != null) {
			this.batch.release();
			this.batch = null;
		}
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) throws Exception {
		int header = heldHeaderBytes();
		if (header > 0 && !this.failed && !isClosed()) {
			String description = (header < HEADER_BYTES)
					? "ALTS connection closed in the middle of a frame header: " + header + " of " + HEADER_BYTES
							+ " header bytes received"
					: "ALTS connection closed in the middle of a frame: " + heldPayloadBytes() + " of "
							+ heldPayloadLength() + " bytes after the header received";
			this.failed = true;
			stop();
			ctx.fireExceptionCaught(Status.UNAVAILABLE.withDescription(description).asRuntimeException());
		}
		super.channelInactive(ctx);
	}

}
