package io.github.readyread.grpc.alts;

import java.security.GeneralSecurityException;

import io.github.readyread.grpc.transport.PartialFrame;
import io.github.readyread.grpc.transport.ReadDemand;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

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
 * The 8-byte header is kept in int fields; the length is checked before anything is
 * allocated for the frame. Like grpc-java's and C-core's record layers, it accepts any
 * frame up to {@link AltsFrameSizes#HARD_LIMIT} (1 MiB), whatever frame size this side's
 * handshake resolved: the peer's handshaker may have resolved a larger one. Nothing is
 * allocated beyond the frame's own size. A frame wholly inside a read buffer is decrypted
 * straight from it into a buffer of the plaintext's size; the bytes of an incomplete
 * frame are copied into a {@link PartialFrame} of their own size. Every read buffer is
 * released in the {@code channelRead} that brought it.
 */
public final class AltsRecordDecoder extends ChannelInboundHandlerAdapter {

	/** Bytes of the length and type fields. */
	public static final int HEADER_BYTES = 8;

	/** Type of an ALTS record frame. */
	public static final int FRAME_TYPE = 6;

	/** Smallest legal length field: the type field and an empty ciphertext's tag. */
	public static final int MIN_LENGTH_FIELD = 4 + AltsCrypter.TAG_LENGTH;

	private final AltsCrypter crypter;

	private final ReadPathStats stats;

	private PartialFrame partial;

	private int headerFill;

	private int lengthField;

	private int typeField;

	private boolean failed;

	private boolean removed;

	/**
	 * @param crypter the receiving crypter of this connection
	 * @param stats where incomplete-frame bytes are counted (bytes read are the
	 * connection's head handler's to count)
	 */
	public AltsRecordDecoder(AltsCrypter crypter, ReadPathStats stats) {
		if (crypter == null || stats == null) {
			throw new NullPointerException("crypter and stats are required");
		}
		this.crypter = crypter;
		this.stats = stats;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
		if (!(msg instanceof ByteBuf in)) {
			ctx.fireChannelRead(msg);
			return;
		}
		if (this.failed || this.removed) {
			ReferenceCountUtil.release(in);
			return;
		}
		try {
			decode(ctx, in);
		}
		catch (GeneralSecurityException ex) {
			fail(ctx, Status.INTERNAL, "ALTS record authentication failed (frame of length " + this.lengthField + "): "
					+ ex.getClass().getSimpleName(), ex);
		}
		finally {
			in.release();
		}
		updateDemand(ctx);
	}

	private void decode(ChannelHandlerContext ctx, ByteBuf in) throws GeneralSecurityException {
		while (in.isReadable() && !this.failed && !this.removed) {
			if (this.headerFill < HEADER_BYTES) {
				if (!readHeader(ctx, in)) {
					return;
				}
				continue;
			}
			int payload = this.lengthField - 4;
			if ((this.partial == null || this.partial.isEmpty()) && in.nioBufferCount() == 1) {
				if (in.readableBytes() >= payload) {
					ByteBuf plaintext = ctx.alloc().buffer(payload - AltsCrypter.TAG_LENGTH);
					try {
						this.crypter.decrypt(plaintext, in.readSlice(payload));
					}
					catch (GeneralSecurityException | RuntimeException ex) {
						plaintext.release();
						throw ex;
					}
					frameDone();
					ctx.fireChannelRead(plaintext);
					continue;
				}
			}
			PartialFrame frame = partialFrame(ctx);
			int missing = payload - frame.readableBytes();
			if (in.readableBytes() < missing) {
				frame.append(in, in.readableBytes());
				return;
			}
			frame.append(in, missing);
			ByteBuf whole = frame.take();
			try {
				this.crypter.decryptInPlace(whole);
			}
			catch (GeneralSecurityException | RuntimeException ex) {
				whole.release();
				throw ex;
			}
			frameDone();
			ctx.fireChannelRead(whole);
		}
	}

	/**
	 * Reads header bytes into the int fields; false if the header is still incomplete.
	 */
	private boolean readHeader(ChannelHandlerContext ctx, ByteBuf in) {
		while (this.headerFill < HEADER_BYTES && in.isReadable()) {
			int b = in.readUnsignedByte();
			if (this.headerFill < 4) {
				this.lengthField |= b << (8 * this.headerFill);
			}
			else {
				this.typeField |= b << (8 * (this.headerFill - 4));
			}
			this.headerFill++;
			if (this.headerFill == 4 && !checkLength(ctx)) {
				return false;
			}
		}
		if (this.headerFill < HEADER_BYTES) {
			return false;
		}
		if (this.typeField != FRAME_TYPE) {
			fail(ctx, Status.INTERNAL, "ALTS frame type " + Integer.toUnsignedString(this.typeField)
					+ " is not the record type " + FRAME_TYPE, null);
			return false;
		}
		return true;
	}

	private boolean checkLength(ChannelHandlerContext ctx) {
		long length = Integer.toUnsignedLong(this.lengthField);
		if (length < MIN_LENGTH_FIELD) {
			fail(ctx, Status.INTERNAL,
					"ALTS frame length " + length + " is below the minimum " + MIN_LENGTH_FIELD + " (type and tag)",
					null);
			return false;
		}
		if (length + 4 > AltsFrameSizes.HARD_LIMIT) {
			fail(ctx, Status.INTERNAL, "ALTS frame length " + length + " exceeds the maximum "
					+ (AltsFrameSizes.HARD_LIMIT - 4) + " (frame size " + AltsFrameSizes.HARD_LIMIT + ")", null);
			return false;
		}
		return true;
	}

	private PartialFrame partialFrame(ChannelHandlerContext ctx) {
		if (this.partial == null) {
			this.partial = new PartialFrame(ctx.alloc(), this.stats);
		}
		return this.partial;
	}

	private void frameDone() {
		this.headerFill = 0;
		this.lengthField = 0;
		this.typeField = 0;
	}

	private void updateDemand(ChannelHandlerContext ctx) {
		ReadDemand demand = ctx.channel().attr(ReadDemand.KEY).get();
		if (demand == null || this.failed) {
			return;
		}
		if (this.headerFill < HEADER_BYTES) {
			int missing = HEADER_BYTES - this.headerFill;
			demand.await(missing, missing);
		}
		else {
			int held = (this.partial != null) ? this.partial.readableBytes() : 0;
			int missing = this.lengthField - 4 - held;
			demand.await(missing, missing + HEADER_BYTES);
		}
	}

	private void fail(ChannelHandlerContext ctx, Status status, String description, Throwable cause) {
		if (this.failed) {
			return;
		}
		this.failed = true;
		releasePartial();
		ctx.fireExceptionCaught(status.withDescription(description).withCause(cause).asRuntimeException());
		ctx.close();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) throws Exception {
		boolean midFrame = this.headerFill > 0 || (this.partial != null && !this.partial.isEmpty());
		if (midFrame && !this.failed) {
			int held = (this.partial != null) ? this.partial.readableBytes() : 0;
			String description = (this.headerFill < HEADER_BYTES)
					? "ALTS connection closed in the middle of a frame header: " + this.headerFill + " of "
							+ HEADER_BYTES + " header bytes received"
					: "ALTS connection closed in the middle of a frame: " + held + " of " + (this.lengthField - 4)
							+ " bytes after the header received";
			this.failed = true;
			releasePartial();
			ctx.fireExceptionCaught(Status.UNAVAILABLE.withDescription(description).asRuntimeException());
		}
		releasePartial();
		ctx.fireChannelInactive();
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		this.removed = true;
		releasePartial();
	}

	private void releasePartial() {
		if (this.partial != null) {
			this.partial.release();
			this.partial = null;
		}
	}

}
