package io.github.readyread.grpc.alts.internal;

import java.security.GeneralSecurityException;
import java.util.Random;

import io.grpc.alts.internal.StockAltsRecords;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link AltsCrypter} against grpc-java's own {@code AltsChannelCrypter}.
 */
class AltsCrypterTests {

	private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);

	private final Random random = new Random(42);

	@AfterEach
	void noPinnedMemory() {
		this.alloc.trimCurrentThreadCache();
		assertThat(this.alloc.pinnedDirectMemory()).isZero();
	}

	@Test
	void clientRecordsAreByteIdenticalToGrpcJavaAndReadableByItsServer() throws Exception {
		byte[] key = key();
		AltsCrypter ours = AltsCrypter.forSending(key, true);
		StockAltsRecords stockClient = new StockAltsRecords(key, true, AltsFrameSizes.DEFAULT);
		StockAltsRecords stockServer = new StockAltsRecords(key, false, AltsFrameSizes.DEFAULT);
		for (int size : new int[] { 0, 1, 100, 16360, 70000 }) {
			byte[] plaintext = bytes(size);
			byte[] sealed = encrypt(ours, plaintext);
			assertThat(sealed).isEqualTo(stockClient.encrypt(plaintext));
			assertThat(stockServer.decrypt(sealed)).isEqualTo(plaintext);
		}
		stockClient.destroy();
		stockServer.destroy();
	}

	@Test
	void serverRecordsCarryTheDirectionBitLikeGrpcJava() throws Exception {
		byte[] key = key();
		AltsCrypter ours = AltsCrypter.forSending(key, false);
		StockAltsRecords stockServer = new StockAltsRecords(key, false, AltsFrameSizes.DEFAULT);
		StockAltsRecords stockClient = new StockAltsRecords(key, true, AltsFrameSizes.DEFAULT);
		byte[] plaintext = bytes(500);
		byte[] sealed = encrypt(ours, plaintext);
		assertThat(sealed).isEqualTo(stockServer.encrypt(plaintext));
		assertThat(stockClient.decrypt(sealed)).isEqualTo(plaintext);
		// The same key in the other direction gives other bytes.
		assertThat(sealed).isNotEqualTo(encrypt(AltsCrypter.forSending(key, true), plaintext));
		stockServer.destroy();
		stockClient.destroy();
	}

	@Test
	void decryptsGrpcJavaRecordsAcrossTheRekeyBoundary() throws Exception {
		byte[] key = key();
		StockAltsRecords stockServer = new StockAltsRecords(key, false, AltsFrameSizes.DEFAULT);
		AltsCrypter ours = AltsCrypter.forReceiving(key, true);
		// Records 65534..65538 cross the 2^16 boundary where the AES key is derived anew.
		stockServer.skipSentRecords(65534);
		ours.setRecordNumberForTesting(65534);
		for (int i = 0; i < 4; i++) {
			byte[] plaintext = bytes(33 + i);
			byte[] sealed = stockServer.encrypt(plaintext);
			ByteBuf in = this.alloc.directBuffer(sealed.length).writeBytes(sealed);
			ByteBuf out = this.alloc.directBuffer(plaintext.length);
			try {
				ours.decrypt(out, in);
				assertThat(ByteBufUtil.getBytes(out)).isEqualTo(plaintext);
			}
			finally {
				in.release();
				out.release();
			}
		}
		stockServer.destroy();
	}

	@Test
	void decryptsInPlaceInADirectPooledBuffer() throws Exception {
		byte[] key = key();
		byte[] plaintext = bytes(20000);
		byte[] sealed = encrypt(AltsCrypter.forSending(key, false), plaintext);
		ByteBuf frame = this.alloc.directBuffer(sealed.length).writeBytes(sealed);
		try {
			AltsCrypter.forReceiving(key, true).decryptInPlace(frame);
			assertThat(ByteBufUtil.getBytes(frame)).isEqualTo(plaintext);
		}
		finally {
			frame.release();
		}
	}

	@Test
	void rejectsATamperedRecord() throws Exception {
		byte[] key = key();
		byte[] sealed = encrypt(AltsCrypter.forSending(key, true), bytes(64));
		sealed[10] ^= 1;
		ByteBuf out = this.alloc.directBuffer(64);
		try {
			assertThatExceptionOfType(javax.crypto.AEADBadTagException.class)
				.isThrownBy(() -> AltsCrypter.forReceiving(key, false).decrypt(out, Unpooled.wrappedBuffer(sealed)));
		}
		finally {
			out.release();
		}
	}

	@Test
	void stopsWhenTheCounterWouldOverflow() throws Exception {
		AltsCrypter crypter = AltsCrypter.forSending(key(), true);
		crypter.setRecordNumberForTesting(0xFFFF_FFFF_FFFF_FFFEL);
		encrypt(crypter, bytes(1));
		assertThatExceptionOfType(GeneralSecurityException.class).isThrownBy(() -> encrypt(crypter, bytes(1)))
			.withMessageContaining("overflow");
		assertThatExceptionOfType(GeneralSecurityException.class).isThrownBy(() -> encrypt(crypter, bytes(1)));
	}

	@Test
	void recordsSealedFromDirectHeapOrCompositePlaintextAreGrpcJavasRecord() throws Exception {
		// A direct plaintext is sealed straight from its bytes, a heap or composite one
		// from a copy: the record is the same, and the plaintext is consumed either way.
		byte[] key = key();
		byte[] text = bytes(16 * 1024 + 5);
		StockAltsRecords stock = new StockAltsRecords(key, true, AltsFrameSizes.DEFAULT);
		byte[] expected = stock.encrypt(text);
		stock.destroy();
		java.security.Provider conscrypt = AltsCrypter.conscrypt();
		for (boolean jdk : new boolean[] { true, false }) {
			if (!jdk) {
				// Not the JDK's provider a second time in its place.
				org.junit.jupiter.api.Assumptions.assumeTrue(conscrypt != null,
						"Conscrypt unavailable: only the JDK provider was tested");
			}
			java.security.Provider provider = jdk ? null : conscrypt;
			// Behind bytes already read, as the second record of a write is.
			ByteBuf direct = this.alloc.directBuffer(7 + text.length).writeZero(7).writeBytes(text).skipBytes(7);
			ByteBuf heap = Unpooled.wrappedBuffer(text);
			ByteBuf composite = Unpooled.compositeBuffer()
				.addComponent(true, this.alloc.directBuffer(100).writeBytes(text, 0, 100))
				.addComponent(true,
						this.alloc.directBuffer(text.length - 100).writeBytes(text, 100, text.length - 100));
			assertThat(composite.nioBufferCount()).isEqualTo(2);
			try {
				for (ByteBuf plaintext : new ByteBuf[] { direct, heap, composite }) {
					AltsCrypter crypter = new AltsCrypter(key, true, true, provider);
					ByteBuf out = this.alloc.directBuffer(text.length + AltsCrypter.TAG_LENGTH);
					try {
						crypter.encrypt(out, plaintext);
						assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expected);
						assertThat(plaintext.isReadable()).isFalse();
					}
					finally {
						out.release();
					}
				}
			}
			finally {
				direct.release();
				composite.release();
			}
		}
	}

	@Test
	void rejectsKeysOfTheWrongLength() {
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> AltsCrypter.forSending(new byte[32], true))
			.withMessageContaining("44");
	}

	private byte[] encrypt(AltsCrypter crypter, byte[] plaintext) throws GeneralSecurityException {
		ByteBuf out = this.alloc.directBuffer(plaintext.length + AltsCrypter.TAG_LENGTH);
		try {
			crypter.encrypt(out, Unpooled.wrappedBuffer(plaintext));
			return ByteBufUtil.getBytes(out);
		}
		finally {
			out.release();
		}
	}

	private byte[] key() {
		return bytes(AltsProtocol.KEY_LENGTH);
	}

	private byte[] bytes(int n) {
		byte[] bytes = new byte[n];
		this.random.nextBytes(bytes);
		return bytes;
	}

	@Test
	void jdkAndConscryptProvidersReadEachOthersRecordsInDirectBuffers() throws Exception {
		org.junit.jupiter.api.Assumptions.assumeTrue(AltsCrypter.conscrypt() != null, "Conscrypt unavailable");
		byte[] key = new byte[AltsProtocol.KEY_LENGTH];
		new Random(7).nextBytes(key);
		byte[] text = new byte[16 * 1024 + 5];
		new Random(8).nextBytes(text);
		PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);
		for (boolean jdkSends : new boolean[] { true, false }) {
			AltsCrypter sender = new AltsCrypter(key, true, true, jdkSends ? null : AltsCrypter.conscrypt());
			AltsCrypter receiver = new AltsCrypter(key, false, false, jdkSends ? AltsCrypter.conscrypt() : null);
			for (int record = 0; record < 3; record++) {
				ByteBuf plain = alloc.directBuffer(text.length).writeBytes(text);
				ByteBuf sealed = alloc.directBuffer(text.length + AltsCrypter.TAG_LENGTH);
				ByteBuf opened = alloc.directBuffer(text.length);
				try {
					sender.encrypt(sealed, plain);
					if (record == 2) {
						receiver.decryptInPlace(sealed);
						assertThat(ByteBufUtil.getBytes(sealed)).isEqualTo(text);
					}
					else {
						receiver.decrypt(opened, sealed);
						assertThat(ByteBufUtil.getBytes(opened)).isEqualTo(text);
					}
				}
				finally {
					plain.release();
					sealed.release();
					opened.release();
				}
			}
		}
		assertThat(alloc.pinnedDirectMemory()).isZero();
	}

}
