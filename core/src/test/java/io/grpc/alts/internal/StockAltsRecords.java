package io.grpc.alts.internal;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.buffer.UnpooledByteBufAllocator;

/**
 * Test-only access to grpc-java's own ALTS record layer (on shaded Netty, heap buffers),
 * the reference our record layer must match byte for byte.
 */
public final class StockAltsRecords {

	private final AltsChannelCrypter crypter;

	private final AltsTsiFrameProtector protector;

	private final ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;

	public StockAltsRecords(byte[] key, boolean client, int maxFrameSize) {
		this.crypter = new AltsChannelCrypter(key, client);
		this.protector = new AltsTsiFrameProtector(maxFrameSize, this.crypter, this.alloc);
	}

	/** Ciphertext and tag of one record, as grpc-java's crypter seals it. */
	public byte[] encrypt(byte[] plaintext) throws GeneralSecurityException {
		ByteBuf out = Unpooled.buffer(plaintext.length + 16);
		List<ByteBuf> in = new ArrayList<>();
		in.add(Unpooled.wrappedBuffer(plaintext));
		this.crypter.encrypt(out, in);
		return bytes(out);
	}

	/** Plaintext of one record, as grpc-java's crypter opens it. */
	public byte[] decrypt(byte[] ciphertextAndTag) throws GeneralSecurityException {
		ByteBuf out = Unpooled.buffer(ciphertextAndTag.length);
		this.crypter.decrypt(out, Unpooled.wrappedBuffer(ciphertextAndTag));
		out.writerIndex(ciphertextAndTag.length - 16);
		return bytes(out);
	}

	public void skipSentRecords(int n) throws GeneralSecurityException {
		this.crypter.incrementOutCounterForTesting(n);
	}

	public void skipReceivedRecords(int n) throws GeneralSecurityException {
		this.crypter.incrementInCounterForTesting(n);
	}

	/**
	 * Frames of {@code plaintext}, as grpc-java's frame protector writes them on flush.
	 */
	public byte[] protect(byte[] plaintext) throws GeneralSecurityException {
		List<ByteBuf> in = new ArrayList<>();
		in.add(Unpooled.wrappedBuffer(plaintext));
		List<ByteBuf> out = new ArrayList<>();
		this.protector.protectFlush(in, out::add, this.alloc);
		return bytes(out.get(0));
	}

	/** Plaintext of {@code frames}, as grpc-java's frame protector reads it. */
	public byte[] unprotect(byte[] frames) throws GeneralSecurityException {
		List<Object> out = new ArrayList<>();
		this.protector.unprotect(Unpooled.wrappedBuffer(frames), out, this.alloc);
		ByteBuf all = Unpooled.buffer();
		for (Object o : out) {
			all.writeBytes((ByteBuf) o);
			((ByteBuf) o).release();
		}
		return bytes(all);
	}

	public void destroy() {
		this.protector.destroy();
	}

	private static byte[] bytes(ByteBuf buf) {
		byte[] bytes = new byte[buf.readableBytes()];
		buf.readBytes(bytes);
		buf.release();
		return bytes;
	}

}
