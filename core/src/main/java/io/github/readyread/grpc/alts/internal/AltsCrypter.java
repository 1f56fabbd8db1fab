package io.github.readyread.grpc.alts.internal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import org.jspecify.annotations.Nullable;

/**
 * Record crypto of one direction of an ALTS connection, {@code ALTSRP_GCM_AES128_REKEY}.
 *
 * <p>
 * Key data is 44 bytes: a 32-byte key-derivation key and a 12-byte nonce mask. Each
 * record uses the next value of a 12-byte little-endian counter whose last byte carries
 * the direction (0x80 for records sent by the server); the AES-128-GCM key is
 * HMAC-SHA256(kdfKey, counter[2..7] || 0x01) truncated to 16 bytes (rekeyed every 2^16
 * records), the nonce is the counter XOR the mask.
 *
 * <p>
 * AES-GCM itself comes from a provider: Conscrypt (BoringSSL) when it is on the
 * classpath, as grpc-alts uses it, else the JDK's. The JDK's GCM is fast only on heap
 * arrays (its intrinsics do not cover direct {@code ByteBuffer}s: measured here about 10x
 * slower), so with the JDK provider records are run through a per-thread heap scratch
 * array.
 *
 * <pre>
 *   counter  [ 8 bytes LE record number | 3 x 0 | direction ]
 *   nonce  = counter ^ mask
 * </pre>
 */
public final class AltsCrypter {

	/** Bytes of the GCM tag that follows each ciphertext. */
	public static final int TAG_LENGTH = 16;

	private static final int KDF_KEY_LENGTH = 32;

	private static final int COUNTER_LENGTH = 12;

	private static final int COUNTER_OVERFLOW_LENGTH = 8;

	private static final int KDF_COUNTER_OFFSET = 2;

	private static final int KDF_COUNTER_LENGTH = 6;

	private static final int AES_KEY_LENGTH = 16;

	private static final @Nullable Provider CONSCRYPT = loadConscrypt();

	private static final FastThreadLocal<byte[]> scratch = new FastThreadLocal<>() {
		@Override
		protected byte[] initialValue() {
			return new byte[0];
		}
	};

	private final boolean encrypting;

	private final byte[] kdfKey;

	private final byte[] nonceMask;

	private final byte[] counter = new byte[COUNTER_LENGTH];

	private final byte[] nonce = new byte[COUNTER_LENGTH];

	private final byte[] kdfCounter = new byte[KDF_COUNTER_LENGTH];

	private final Cipher cipher;

	private @Nullable SecretKeySpec aesKey;

	private final @Nullable Provider provider;

	private AltsCrypter(byte[] key, boolean client, boolean encrypting) {
		this(key, client, encrypting, CONSCRYPT);
	}

	/** With {@code provider} for AES-GCM, {@code null} for the JDK's. */
	AltsCrypter(byte[] key, boolean client, boolean encrypting, @Nullable Provider provider) {
		if (key == null || key.length != AltsProtocol.KEY_LENGTH) {
			throw new IllegalArgumentException("ALTS key data must be " + AltsProtocol.KEY_LENGTH + " bytes, was "
					+ ((key != null) ? key.length : null));
		}
		this.encrypting = encrypting;
		this.kdfKey = Arrays.copyOf(key, KDF_KEY_LENGTH);
		this.nonceMask = Arrays.copyOfRange(key, KDF_KEY_LENGTH, AltsProtocol.KEY_LENGTH);
		// Records sent by the server carry the direction bit.
		boolean serverSent = (client != encrypting);
		if (serverSent) {
			this.counter[COUNTER_LENGTH - 1] = (byte) 0x80;
		}
		this.provider = provider;
		try {
			this.cipher = (provider != null) ? Cipher.getInstance("AES/GCM/NoPadding", provider)
					: Cipher.getInstance("AES/GCM/NoPadding");
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("AES/GCM/NoPadding is unavailable", ex);
		}
	}

	/** The crypter that protects records this side sends. */
	public static AltsCrypter forSending(byte[] key, boolean client) {
		return new AltsCrypter(key, client, true);
	}

	/** The crypter that unprotects records this side receives. */
	public static AltsCrypter forReceiving(byte[] key, boolean client) {
		return new AltsCrypter(key, client, false);
	}

	/**
	 * Writes the ciphertext and tag of {@code plaintext}'s readable bytes to {@code out}
	 * and consumes them.
	 *
	 * <p>
	 * Sealed straight from {@code plaintext} when {@link #sealsWithoutCopy} says so (a
	 * copy into {@code out} first otherwise): sealing from a region that the output
	 * overlaps costs Conscrypt a heap copy of the whole input per record (its JNI layer
	 * copies any overlapping input before BoringSSL sees it), which
	 * {@link #encryptInPlace} pays.
	 * @param out buffer with at least plaintext + {@value #TAG_LENGTH} writable bytes,
	 * not sharing memory with {@code plaintext}
	 * @param plaintext the record's plaintext
	 */
	public void encrypt(ByteBuf out, ByteBuf plaintext) throws GeneralSecurityException {
		checkDirection(true);
		int length = plaintext.readableBytes();
		if (out.writableBytes() < length + TAG_LENGTH) {
			throw new IllegalArgumentException(
					"out has " + out.writableBytes() + " writable bytes, needs " + (length + TAG_LENGTH));
		}
		int offset = out.writerIndex();
		if (sealsWithoutCopy(plaintext)) {
			seal(plaintext.nioBuffer(plaintext.readerIndex(), length), nioRegion(out, offset, length + TAG_LENGTH));
			plaintext.skipBytes(length);
		}
		else {
			out.writeBytes(plaintext);
			out.writerIndex(offset);
			encryptInPlace(out, offset, length);
		}
		out.writerIndex(offset + length + TAG_LENGTH);
	}

	/**
	 * Whether {@link #encrypt} seals {@code plaintext} straight from its bytes: one
	 * direct region (a heap one would cost Conscrypt a direct copy of it per record).
	 */
	public static boolean sealsWithoutCopy(ByteBuf plaintext) {
		return plaintext.isDirect() && plaintext.nioBufferCount() == 1;
	}

	/**
	 * Encrypts {@code length} plaintext bytes at {@code offset} of {@code buf} in place;
	 * the tag is written after them (the caller reserves those 16 bytes). Indexes are not
	 * changed.
	 */
	public void encryptInPlace(ByteBuf buf, int offset, int length) throws GeneralSecurityException {
		checkDirection(true);
		ByteBuffer region = nioRegion(buf, offset, length + TAG_LENGTH);
		ByteBuffer in = region.duplicate();
		in.limit(in.position() + length);
		seal(in, region);
	}

	/** Seals {@code in}'s remaining bytes into {@code target}, ciphertext then tag. */
	private void seal(ByteBuffer in, ByteBuffer target) throws GeneralSecurityException {
		int expected = in.remaining() + TAG_LENGTH;
		initCipher(Cipher.ENCRYPT_MODE);
		int written = doFinal(in, target);
		if (written != expected) {
			throw new GeneralSecurityException("AES-GCM wrote " + written + " bytes, expected " + expected);
		}
	}

	/**
	 * Decrypts {@code ciphertextAndTag}'s readable bytes into {@code out} and consumes
	 * them.
	 * @param out buffer with at least ciphertext bytes writable
	 * @param ciphertextAndTag one record's ciphertext followed by its tag
	 * @throws javax.crypto.AEADBadTagException if the record is not authentic
	 */
	public void decrypt(ByteBuf out, ByteBuf ciphertextAndTag) throws GeneralSecurityException {
		checkDirection(false);
		int length = ciphertextAndTag.readableBytes();
		if (length < TAG_LENGTH) {
			throw new IllegalArgumentException("record of " + length + " bytes is shorter than its tag");
		}
		int plainLength = length - TAG_LENGTH;
		out.ensureWritable(plainLength);
		ByteBuffer in = nioRegion(ciphertextAndTag, ciphertextAndTag.readerIndex(), length);
		ByteBuffer target = nioRegion(out, out.writerIndex(), plainLength);
		initCipher(Cipher.DECRYPT_MODE);
		int written = doFinal(in, target);
		out.writerIndex(out.writerIndex() + written);
		ciphertextAndTag.skipBytes(length);
	}

	/**
	 * Decrypts the record held in {@code frame}'s readable bytes in place: afterwards its
	 * readable bytes are the plaintext.
	 */
	public void decryptInPlace(ByteBuf frame) throws GeneralSecurityException {
		checkDirection(false);
		int offset = frame.readerIndex();
		int length = frame.readableBytes();
		if (length < TAG_LENGTH) {
			throw new IllegalArgumentException("record of " + length + " bytes is shorter than its tag");
		}
		ByteBuffer region = nioRegion(frame, offset, length);
		ByteBuffer in = region.duplicate();
		initCipher(Cipher.DECRYPT_MODE);
		int written = doFinal(in, region);
		frame.writerIndex(offset + written);
	}

	/** The AES-GCM provider in use: {@code Conscrypt} or the JDK's {@code SunJCE}. */
	public static String providerName() {
		return (CONSCRYPT != null) ? CONSCRYPT.getName() : "SunJCE";
	}

	private int doFinal(ByteBuffer in, ByteBuffer out) throws GeneralSecurityException {
		if (this.provider != null || (!in.isDirect() && !out.isDirect())) {
			return this.cipher.doFinal(in, out);
		}
		int length = in.remaining();
		byte[] array = scratch.get();
		if (array.length < length + TAG_LENGTH) {
			array = new byte[Math.max(length + TAG_LENGTH, 2 * array.length)];
			scratch.set(array);
		}
		in.get(array, 0, length);
		// Cipher's array methods are copy-safe when input and output share the array.
		int written = this.cipher.doFinal(array, 0, length, array, 0);
		out.put(array, 0, written);
		return written;
	}

	/** Conscrypt's provider, or {@code null} where it is unavailable. */
	static @Nullable Provider conscrypt() {
		return CONSCRYPT;
	}

	private static @Nullable Provider loadConscrypt() {
		try {
			Class<?> conscrypt = Class.forName("org.conscrypt.Conscrypt");
			if (!(Boolean) conscrypt.getMethod("isAvailable").invoke(null)) {
				return null;
			}
			return (Provider) conscrypt.getMethod("newProvider").invoke(null);
		}
		catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
			return null;
		}
	}

	private static ByteBuffer nioRegion(ByteBuf buf, int index, int length) {
		if (buf.nioBufferCount() != 1) {
			throw new IllegalArgumentException("buffer must be backed by one NIO buffer");
		}
		return buf.nioBuffer(index, length);
	}

	private void checkDirection(boolean encrypt) {
		if (encrypt != this.encrypting) {
			throw new IllegalStateException("this crypter is for " + (this.encrypting ? "sending" : "receiving"));
		}
	}

	private void initCipher(int mode) throws GeneralSecurityException {
		if (counterExhausted()) {
			throw new GeneralSecurityException("ALTS record counter has overflowed");
		}
		boolean rekey = this.aesKey == null;
		for (int i = 0; i < KDF_COUNTER_LENGTH && !rekey; i++) {
			rekey = this.kdfCounter[i] != this.counter[KDF_COUNTER_OFFSET + i];
		}
		if (rekey) {
			System.arraycopy(this.counter, KDF_COUNTER_OFFSET, this.kdfCounter, 0, KDF_COUNTER_LENGTH);
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(this.kdfKey, "HmacSHA256"));
			mac.update(this.kdfCounter);
			mac.update((byte) 0x01);
			this.aesKey = new SecretKeySpec(Arrays.copyOf(mac.doFinal(), AES_KEY_LENGTH), "AES");
		}
		for (int i = 0; i < COUNTER_LENGTH; i++) {
			this.nonce[i] = (byte) (this.nonceMask[i] ^ this.counter[i]);
		}
		this.cipher.init(mode, this.aesKey, new GCMParameterSpec(TAG_LENGTH * 8, this.nonce));
		incrementCounter();
	}

	// Like grpc-java, the counter value whose increment would wrap is never used.
	private boolean counterExhausted() {
		for (int i = 0; i < COUNTER_OVERFLOW_LENGTH; i++) {
			if (this.counter[i] != (byte) 0xFF) {
				return false;
			}
		}
		return true;
	}

	private void incrementCounter() {
		for (int i = 0; i < COUNTER_OVERFLOW_LENGTH; i++) {
			this.counter[i]++;
			if (this.counter[i] != 0) {
				return;
			}
		}
	}

	/** Sets the record number of the next record (tests). */
	void setRecordNumberForTesting(long recordNumber) {
		for (int i = 0; i < COUNTER_OVERFLOW_LENGTH; i++) {
			this.counter[i] = (byte) (recordNumber >>> (8 * i));
		}
	}

}
