package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.readyread.grpc.transport.Http2FrameAligner;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the HTTP/2 frame aligner with frame sequences (any type, flags, stream and
 * length, including lengths above the maximum frame size), mutated, followed by raw
 * bytes, and split at fuzzer-chosen read boundaries. The aligner must never change, lose,
 * duplicate or reorder a byte: what it forwarded plus what it holds is exactly what
 * arrived, and closing releases what it held.
 */
class Http2FrameAlignerFuzzTests {

	/**
	 * One pool for every input: a pool per input grows the process by its chunks until
	 * the garbage collector frees them, which the fuzzer reports as running out of
	 * memory.
	 */
	private static final PooledByteBufAllocator ALLOC = new PooledByteBufAllocator(true);

	private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	@FuzzTest(maxDuration = "60s")
	void framesSplitAndMutatedArriveIntactAndInOrder(FuzzedDataProvider data) {
		PooledByteBufAllocator alloc = ALLOC;
		boolean server = data.consumeBoolean();
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		if (server) {
			stream.writeBytes(PREFACE);
		}
		int frames = data.consumeInt(0, 8);
		for (int i = 0; i < frames; i++) {
			int length = data.pickValue(new int[] { 0, 1, 8, 100, 16383, 16384, 16385, 70000 });
			length = Math.min(length, 20000 + data.consumeInt(0, 60000));
			stream.write((length >>> 16) & 0xFF);
			stream.write((length >>> 8) & 0xFF);
			stream.write(length & 0xFF);
			stream.write(data.consumeInt(0, 10));
			stream.write(data.consumeByte());
			stream.writeBytes(new byte[] { 0, 0, 0, (byte) data.consumeInt(0, 7) });
			byte[] payload = new byte[length];
			Arrays.fill(payload, (byte) i);
			stream.writeBytes(payload);
		}
		byte[] bytes = stream.toByteArray();
		int mutations = data.consumeInt(0, 3);
		for (int i = 0; i < mutations && bytes.length > 0; i++) {
			bytes[data.consumeInt(0, bytes.length - 1)] ^= data.consumeByte();
		}
		byte[] input = AltsRecordDecoderFuzzTests.concat(bytes, data.consumeBytes(data.consumeInt(0, 64)));

		ReadPathStats stats = new ReadPathStats("fuzz");
		Http2FrameAligner aligner = new Http2FrameAligner(server, 16384, null, stats);
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(alloc);
		channel.pipeline().addLast(aligner);
		ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
		int offset = 0;
		while (offset < input.length) {
			int chunk = Math.min(input.length - offset, 1 + data.consumeInt(0, 20000));
			channel.writeInbound(alloc.directBuffer(chunk).writeBytes(input, offset, chunk));
			offset += chunk;
			AltsRecordDecoderFuzzTests.drain(channel, forwarded);
			channel.checkException();
			assertThat(forwarded.size() + aligner.heldBytes()).as("bytes forwarded + held").isEqualTo(offset);
		}
		assertThat(forwarded.toByteArray()).isEqualTo(Arrays.copyOf(input, forwarded.size()));
		channel.close();
		channel.finishAndReleaseAll();
		channel.checkException();
		assertThat(stats.incompleteBytes()).isZero();
		assertThat(alloc.pinnedDirectMemory()).isZero();
	}

}
