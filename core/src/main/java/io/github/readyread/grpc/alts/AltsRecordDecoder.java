package io.github.readyread.grpc.alts;

import java.security.GeneralSecurityException;

import io.github.readyread.grpc.transport.FrameDecoder;
import io.github.readyread.grpc.transport.PartialFrame;
import io.github.readyread.grpc.transport.ReadDemand;
import io.github.readyread.grpc.transport.ReadPathStats;
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
 * have resolved a larger one. A frame wholly inside a read buffer is decrypted straight
 * from it into a buffer of the plaintext's size; the bytes of an incomplete frame are
 * copied into a {@link PartialFrame} of their own size, and decrypted in place once
 * whole. Every read buffer is released in the {@code channelRead} that brought it.
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
	 * A record decoder that is not its connection's outermost decoder (or has no demand
	 * to keep).
	 * @param crypter the receiving crypter of this connection
	 * @param stats where incomplete-frame bytes are counted
	 */
	public AltsRecordDecoder(AltsCrypter crypter, ReadPathStats stats) {
		this(crypter, null, stats);
	}

	/**
	 * A record decoder that keeps {@code demand} as its connection's outermost decoder.
	 * @param crypter the receiving crypter of this connection
	 * @param demand the connection's demand, which this decoder keeps, or {@code null}
	 * @param stats where incomplete-frame bytes are counted (bytes read are the
	 * connection's head handler's to count)
	 */
	public AltsRecordDecoder(AltsCrypter crypter, @Nullable ReadDemand demand, ReadPathStats stats) {
		super(HEADER_BYTES, LENGTH_BYTES, 0, demand, stats);
		if (crypter == null) {
			throw new NullPointerException("crypter is required");
		}
		this.crypter = crypter;
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
		in.skipBytes(HEADER_BYTES);
		decrypt(ctx, in.readSlice(payloadLength));
	}

	@Override
	protected void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied) {
		if (copied) {
			decryptInPlace(ctx, payload);
			return;
		}
		try {
			decrypt(ctx, payload);
		}
		finally {
			payload.release();
		}
	}

	/**
	 * Decrypts a record's ciphertext and tag, which stay the caller's, into a buffer of
	 * the plaintext's size.
	 */
	private void decrypt(ChannelHandlerContext ctx, ByteBuf ciphertextAndTag) {
		int length = ciphertextAndTag.readableBytes();
		if (ciphertextAndTag.nioBufferCount() != 1) {
			ByteBuf copy = ctx.alloc().buffer(length, length);
			copy.writeBytes(ciphertextAndTag);
			decryptInPlace(ctx, copy);
			return;
		}
		ByteBuf plaintext = ctx.alloc().buffer(length - AltsCrypter.TAG_LENGTH);
		try {
			this.crypter.decrypt(plaintext, ciphertextAndTag);
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			plaintext.release();
			authenticationFailed(ctx, length, ex);
			return;
		}
		ctx.fireChannelRead(plaintext);
	}

	/** Decrypts a record of its own in place and passes it on (or releases it). */
	private void decryptInPlace(ChannelHandlerContext ctx, ByteBuf record) {
		int length = record.readableBytes();
		try {
			this.crypter.decryptInPlace(record);
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			record.release();
			authenticationFailed(ctx, length, ex);
			return;
		}
		ctx.fireChannelRead(record);
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
		stop();
		ctx.fireExceptionCaught(status.withDescription(description).withCause(cause).asRuntimeException());
		ctx.close();
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
