package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.readyread.grpc.alts.internal.AltsCrypter;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsProtocol;
import io.github.readyread.grpc.alts.internal.AltsRecordDecoder;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.internal.StockAltsRecords;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Differential fuzzing of the ALTS record decoder against stock grpc-alts' unprotector
 * ({@code AltsTsiFrameProtector} with {@code AltsChannelCrypter}, on shaded Netty).
 *
 * <p>
 * The stream: real AES-GCM records (0-6, up to 4000 bytes of plaintext each), bytes
 * flipped at fuzzer-chosen places, maybe truncated, raw bytes appended, split at
 * fuzzer-chosen read boundaries; the same reads go to both. What must hold:
 * <ul>
 * <li>stock's plaintext is a prefix of ours, and equal to it when neither fails (stock
 * drops the plaintext of a whole read when one of its records fails);</li>
 * <li>when stock fails at a read, ours has failed at that read or before; ours fails on
 * an authentication error only at the read where stock fails too (stock may name another
 * reason: it checks the types of all whole frames of a read before it decrypts the
 * first);</li>
 * <li>when ours fails first, it is on a frame header (ours checks the length at 4 bytes
 * and the type at 8, stock only once it has 8 header bytes of a frame it is about to
 * read), on a length while stock holds 4 to 7 bytes of that header, and stock, given the
 * rest of the header as a record's type, fails on that length;</li>
 * <li>ours fails with its precise status: {@code INTERNAL} naming the length, type or
 * authentication failure, or {@code UNAVAILABLE} on a close in the middle of a frame,
 * exactly when the stream (not failed) does not end on a frame boundary;</li>
 * <li>nothing stays pinned in the pool, no incomplete-frame bytes stay counted.</li>
 * </ul>
 * The normal test run replays the committed inputs (regression mode) at PARANOID leak
 * detection; see {@code docs/RELIABILITY.md} for a fuzzing campaign.
 */
class AltsRecordDecoderFuzzTests {

	private static final byte[] KEY = new byte[AltsProtocol.KEY_LENGTH];

	static {
		for (int i = 0; i < KEY.length; i++) {
			KEY[i] = (byte) (i * 13 + 1);
		}
	}

	private static final ReadPathStats STATS = new ReadPathStats("fuzz");

	/** The type field of a record frame, little-endian. */
	private static final byte[] RECORD_TYPE = { AltsRecordDecoder.FRAME_TYPE, 0, 0, 0 };

	@FuzzTest(maxDuration = "5m")
	void recordsSplitMutatedAndTruncated(FuzzedDataProvider data) throws Exception {
		PooledByteBufAllocator alloc = FuzzPool.ALLOC;
		// A sender per input: Conscrypt refuses to encrypt twice with one key and nonce.
		AltsCrypter sender = AltsCrypter.forSending(KEY, false);
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		int records = data.consumeInt(0, 6);
		for (int i = 0; i < records; i++) {
			stream.write(seal(sender, data.consumeBytes(data.consumeInt(0, 4000)), alloc));
		}
		byte[] bytes = stream.toByteArray();
		int mutations = data.consumeInt(0, 3);
		for (int i = 0; i < mutations && bytes.length > 0; i++) {
			bytes[data.consumeInt(0, bytes.length - 1)] ^= data.consumeByte();
		}
		if (bytes.length > 0 && data.consumeBoolean()) {
			bytes = Arrays.copyOf(bytes, data.consumeInt(0, bytes.length - 1));
		}
		byte[] input = concat(bytes, data.consumeBytes(data.consumeInt(0, 64)));
		List<byte[]> reads = splitIntoReads(input, data, 9000);

		// Stock grpc-alts, every read.
		StockAltsRecords stock = new StockAltsRecords(KEY, true, AltsFrameSizes.MAX);
		ByteArrayOutputStream stockPlain = new ByteArrayOutputStream();
		int stockFailedAt = -1;
		Exception stockFailure = null;
		for (int i = 0; i < reads.size() && stockFailure == null; i++) {
			try {
				stockPlain.write(stock.unprotect(reads.get(i)));
			}
			catch (Exception ex) {
				stockFailure = ex;
				stockFailedAt = i;
			}
		}

		// Ours, the same reads.
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(alloc);
		channel.pipeline().addLast(new AltsRecordDecoder(AltsCrypter.forReceiving(KEY, true), STATS));
		ByteArrayOutputStream ourPlain = new ByteArrayOutputStream();
		int ourFailedAt = -1;
		Status ourFailure = null;
		for (int i = 0; i < reads.size() && ourFailure == null; i++) {
			byte[] read = reads.get(i);
			ourFailure = statusOf(() -> channel.writeInbound(alloc.directBuffer(read.length).writeBytes(read)));
			drain(channel, ourPlain);
			if (ourFailure != null) {
				ourFailedAt = i;
			}
		}
		// A failure on close surfaces from close() or from finish(), whichever checks
		// first.
		Status atClose = statusOf(channel::close);
		drain(channel, ourPlain);
		Status atFinish = statusOf(channel::finishAndReleaseAll);
		atClose = (atClose != null) ? atClose : atFinish;
		if (ourFailure != null) {
			assertThat(atClose).as("a second failure after the first").isNull();
		}

		byte[] ours = ourPlain.toByteArray();
		byte[] theirs = stockPlain.toByteArray();
		assertThat(ours.length).as("plaintext bytes, ours vs stock").isGreaterThanOrEqualTo(theirs.length);
		assertThat(Arrays.copyOf(ours, theirs.length)).as("stock's plaintext is a prefix of ours").isEqualTo(theirs);
		if (stockFailure == null && ourFailure == null) {
			assertThat(ours).as("plaintext when neither fails").isEqualTo(theirs);
		}
		if (stockFailure != null) {
			assertThat(ourFailure).as("ours fails when stock fails (" + stockFailure + ")").isNotNull();
			assertThat(ourFailedAt).as("read at which ours fails, stock failing at " + stockFailedAt)
				.isLessThanOrEqualTo(stockFailedAt);
		}
		if (ourFailure != null) {
			assertThat(ourFailure.getCode()).isEqualTo(Status.Code.INTERNAL);
			String description = ourFailure.getDescription();
			if (description.startsWith("ALTS record authentication failed")) {
				assertThat(stockFailedAt).as("stock fails authentication at the same read: " + stockFailure)
					.isEqualTo(ourFailedAt);
			}
			else {
				assertThat(description).matches("ALTS frame (length \\d+ is below the minimum 20 \\(type and tag\\)"
						+ "|length \\d+ exceeds the maximum 1048572 \\(frame size 1048576\\)"
						+ "|type \\d+ is not the record type 6)");
				if (stockFailure == null) {
					// Stock, not failed, holds the header ours rejected, unchecked: ours
					// rejects a length at 4 bytes, stock checks length and type once it
					// has all 8, and only at the start of an unprotect call (one that
					// has just opened whole records stops at a frame it cannot complete
					// without reading that frame's header). Given the rest of a header
					// it holds in part, or a call that adds nothing to a whole one, it
					// fails on the same header.
					int at = lastHeaderAt(input);
					int held = input.length - at;
					assertThat(held).as("bytes stock holds of the header ours rejected (" + description + ")")
						.isGreaterThanOrEqualTo(4);
					// That header is the first one the stream's own framing finds
					// invalid.
					assertThat(description).as("the header ours rejected is the first invalid one, at " + at)
						.startsWith(description.startsWith("ALTS frame type")
								? "ALTS frame type " + uintLE(input, at + 4) + " "
								: "ALTS frame length " + uintLE(input, at) + " ");
					byte[] rest = (held < AltsRecordDecoder.HEADER_BYTES) ? Arrays.copyOfRange(RECORD_TYPE, held - 4, 4)
							: new byte[0];
					Status onHeader = statusOf(() -> stock.unprotect(rest));
					assertThat(onHeader).as("stock fails on the header ours rejected (" + description + ")")
						.isNotNull();
					// Stock reads the length as a signed int: from 2^31 on, "too small".
					assertThat(onHeader.getDescription())
						.as("stock's failure on the header ours rejected (" + description + ")")
						.matches((held < AltsRecordDecoder.HEADER_BYTES)
								? ".*Invalid header field: frame size too (small|large)"
								: ".*Invalid header field: frame (size too (small|large)|type)");
				}
			}
		}
		else {
			boolean midFrame = !endsOnFrameBoundary(input);
			assertThat(atClose != null).as("close fails mid-frame").isEqualTo(midFrame);
			if (midFrame) {
				assertThat(atClose.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
				assertThat(atClose.getDescription()).startsWith("ALTS connection closed in the middle of a frame");
			}
		}
		stock.destroy();
		FuzzPool.assertNothingHeld(STATS);
	}

	/** The unsigned little-endian int at {@code index} of {@code bytes}. */
	private static long uintLE(byte[] bytes, int index) {
		return Integer.toUnsignedLong(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(index));
	}

	/**
	 * Where the header stock is left holding starts in {@code stream}: the first header,
	 * walking the frames from the start, whose length is out of bounds or whose frame
	 * does not end within the stream ({@code stream.length} if every frame ends within
	 * it).
	 */
	private static int lastHeaderAt(byte[] stream) {
		int position = 0;
		while (stream.length - position >= 4) {
			long length = uintLE(stream, position);
			if (length < AltsRecordDecoder.MIN_LENGTH_FIELD || length > AltsFrameSizes.HARD_LIMIT - 4
					|| length > stream.length - position - 4) {
				return position;
			}
			position += 4 + (int) length;
		}
		return position;
	}

	/** Whether the frames of {@code stream} (headers valid) end exactly at its end. */
	private static boolean endsOnFrameBoundary(byte[] stream) {
		long position = 0;
		while (stream.length - position >= 4) {
			long length = uintLE(stream, (int) position);
			position += 4 + length;
		}
		return position == stream.length;
	}

	/**
	 * Runs {@code action}; the status it failed with, {@code null} if it did not fail.
	 * Anything other than a status escaping is a finding.
	 */
	static Status statusOf(ThrowingRunnable action) {
		try {
			action.run();
			return null;
		}
		catch (StatusRuntimeException ex) {
			assertThat(ex.getStatus().getDescription()).as("failure description").isNotBlank();
			return ex.getStatus();
		}
		catch (Exception ex) {
			// stock's failures: any exception counts as failing
			return Status.UNKNOWN.withDescription(ex.toString());
		}
	}

	/**
	 * Splits {@code input} at fuzzer-chosen read boundaries: at most 64 reads, the last
	 * one takes the rest (an exhausted fuzzer input would otherwise split the rest into
	 * single bytes, the slowest input there is and no more interesting than a few).
	 */
	static List<byte[]> splitIntoReads(byte[] input, FuzzedDataProvider data, int maxRead) {
		List<byte[]> reads = new ArrayList<>();
		for (int offset = 0; offset < input.length;) {
			boolean last = reads.size() == 63 || data.remainingBytes() == 0;
			int read = last ? input.length - offset : Math.min(input.length - offset, 1 + data.consumeInt(0, maxRead));
			reads.add(Arrays.copyOfRange(input, offset, offset + read));
			offset += read;
		}
		return reads;
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

	static byte[] concat(byte[] a, byte[] b) {
		byte[] all = Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, all, a.length, b.length);
		return all;
	}

	@FunctionalInterface
	interface ThrowingRunnable {

		void run() throws Exception;

	}

}
