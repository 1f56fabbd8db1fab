package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.readyread.grpc.alts.AltsCrypter;
import io.github.readyread.grpc.alts.AltsRecordDecoder;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the ALTS record decoder with valid record sequences (real AES-GCM records),
 * mutated at fuzzer-chosen bytes, followed by raw fuzzer bytes, and split at
 * fuzzer-chosen read boundaries. Whatever arrives: no exception escapes except the
 * decoder's own precise status, untouched records decode to exactly their plaintext, and
 * nothing stays pinned in the pool.
 *
 * <p>
 * The normal test run replays the committed inputs (regression mode); see
 * {@code docs/RELIABILITY.md} for a fuzzing run.
 */
class AltsRecordDecoderFuzzTests {

	/**
	 * One pool for every input: a pool per input grows the process by its chunks until
	 * the garbage collector frees them, which the fuzzer reports as running out of
	 * memory.
	 */
	private static final PooledByteBufAllocator ALLOC = new PooledByteBufAllocator(true);

	private static final byte[] KEY = new byte[AltsCrypter.KEY_LENGTH];

	static {
		for (int i = 0; i < KEY.length; i++) {
			KEY[i] = (byte) (i * 13 + 1);
		}
	}

	@FuzzTest(maxDuration = "60s")
	void recordsSplitMutatedAndTruncated(FuzzedDataProvider data) throws Exception {
		PooledByteBufAllocator alloc = ALLOC;
		AltsCrypter sender = AltsCrypter.forSending(KEY, false);
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		ByteArrayOutputStream plaintexts = new ByteArrayOutputStream();
		int records = data.consumeInt(0, 6);
		for (int i = 0; i < records; i++) {
			byte[] plain = data.consumeBytes(data.consumeInt(0, 4000));
			plaintexts.write(plain);
			stream.write(seal(sender, plain, alloc));
		}
		byte[] bytes = stream.toByteArray();
		boolean mutated = false;
		int mutations = data.consumeInt(0, 3);
		for (int i = 0; i < mutations && bytes.length > 0; i++) {
			int at = data.consumeInt(0, bytes.length - 1);
			byte flip = data.consumeByte();
			mutated |= flip != 0;
			bytes[at] ^= flip;
		}
		byte[] tail = data.consumeBytes(data.consumeInt(0, 64));

		ReadPathStats stats = new ReadPathStats("fuzz");
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(alloc);
		channel.pipeline().addLast(new AltsRecordDecoder(AltsCrypter.forReceiving(KEY, true), stats));
		ByteArrayOutputStream decoded = new ByteArrayOutputStream();
		byte[] input = concat(bytes, tail);
		int offset = 0;
		while (offset < input.length && channel.isOpen()) {
			int chunk = Math.min(input.length - offset, 1 + data.consumeInt(0, 9000));
			ByteBuf read = alloc.directBuffer(chunk).writeBytes(input, offset, chunk);
			offset += chunk;
			try {
				channel.writeInbound(read);
			}
			catch (StatusRuntimeException expected) {
				// EmbeddedChannel rethrows what the decoder fired: a precise failure
				assertThat(expected.getStatus().getDescription()).isNotBlank();
			}
			drain(channel, decoded);
			checkOnlyStatusFailures(channel);
		}
		try {
			channel.close();
		}
		catch (StatusRuntimeException expected) {
			assertThat(expected.getStatus().getDescription()).isNotBlank();
		}
		drain(channel, decoded);
		checkOnlyStatusFailures(channel);
		channel.finishAndReleaseAll();
		if (!mutated) {
			byte[] expected = plaintexts.toByteArray();
			assertThat(decoded.toByteArray()).isEqualTo(Arrays.copyOf(expected, decoded.size()));
			if (tail.length == 0) {
				assertThat(decoded.size()).isEqualTo(expected.length);
			}
		}
		assertThat(stats.incompleteBytes()).isZero();
		assertThat(alloc.pinnedDirectMemory()).isZero();
	}

	static byte[] seal(AltsCrypter sender, byte[] plain, PooledByteBufAllocator alloc) throws Exception {
		ByteBuf in = Unpooled.wrappedBuffer(plain);
		ByteBuf out = alloc.heapBuffer(8 + plain.length + AltsCrypter.TAG_LENGTH);
		try {
			out.writeIntLE(4 + plain.length + AltsCrypter.TAG_LENGTH);
			out.writeIntLE(6);
			sender.encrypt(out, in);
			return ByteBufUtil.getBytes(out);
		}
		finally {
			out.release();
		}
	}

	static void drain(EmbeddedChannel channel, ByteArrayOutputStream into) {
		for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
			ByteBuf buf = (ByteBuf) message;
			into.writeBytes(ByteBufUtil.getBytes(buf));
			buf.release();
		}
	}

	static void checkOnlyStatusFailures(EmbeddedChannel channel) {
		try {
			channel.checkException();
		}
		catch (StatusRuntimeException expected) {
			// a precise failure of the connection: the contract for bad input
			assertThat(expected.getStatus().getDescription()).isNotBlank();
		}
		catch (Throwable unexpected) {
			throw new AssertionError("Unexpected failure escaped the decoder", unexpected);
		}
	}

	static byte[] concat(byte[] a, byte[] b) {
		byte[] all = Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, all, a.length, b.length);
		return all;
	}

}
