package io.github.readyread.grpc.transport.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import io.github.readyread.grpc.Buffers;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What gRPC's deframer keeps of a message that waits for the rest of its bytes, with the
 * aligner's default {@link DataFrames#SLICE_FILLED_READS}: the buffers holding its DATA
 * bytes (slices keep the whole read buffer they came in) cost at most 4/3 of what the
 * message has received.
 *
 * <p>
 * Random gRPC streams, interleaved and cut into random reads, go through the aligner; a
 * model of gRPC's deframer takes what comes out as gRPC's HTTP/2 decoder would hand it
 * DATA payloads (pieces of the buffers passed on), reads whole messages as soon as they
 * are complete (an application that keeps up) and lets go of a piece once all its bytes
 * are read. After every read, for every stream, the buffers its waiting message's pieces
 * keep are added up (each read buffer or copy once, by capacity).
 */
class WaitingMessageMemoryTests {

	private static final byte DATA = 0;

	private static final byte HEADERS = 1;

	private static final int END_STREAM = 0x1;

	private static final int END_HEADERS = 0x4;

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);

	@AfterEach
	void everyBufferWentBack() {
		this.pool.trimCurrentThreadCache();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void aWaitingMessageKeepsAtMostFourThirdsOfWhatItReceived() throws Exception {
		long checks = 0;
		long slicedWaits = 0;
		for (int seed = 0; seed < 40; seed++) {
			Random random = new Random(seed);
			byte[] wire = wire(random);
			EmbeddedChannel channel = new EmbeddedChannel(false, false);
			channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
			channel.pipeline()
				.addLast(Http2FrameAligner.outermost(false, new ReadDemand(65536, 9), new ReadPathStats("test"),
						DataFrames.SLICE_FILLED_READS));
			channel.register();
			Deframer deframer = new Deframer();
			try {
				for (int offset = 0; offset < wire.length;) {
					int end = Math.min(wire.length, offset + 1 + random.nextInt(random.nextBoolean() ? 20000 : 70000));
					int length = end - offset;
					int capacity = switch (random.nextInt(3)) {
						case 0 -> length;
						case 1 -> Math.max(length, 65536);
						default -> length + random.nextInt(length + 1);
					};
					ByteBuf read = this.pool.directBuffer(capacity, capacity);
					read.writeBytes(wire, offset, length);
					channel.writeInbound(read);
					ByteBuf out;
					while ((out = channel.readInbound()) != null) {
						deframer.take(out);
					}
					for (Map.Entry<Integer, Deframer.Stream> entry : deframer.streams.entrySet()) {
						Deframer.Stream stream = entry.getValue();
						long waiting = stream.waitingBytes();
						long kept = stream.keptBytes();
						assertThat(kept * 3)
							.as("seed %d, stream %d after byte %d: buffers kept %d for %d bytes received", seed,
									entry.getKey(), end, kept, waiting)
							.isLessThanOrEqualTo(waiting * 4);
						checks++;
						if (stream.keepsASlice()) {
							slicedWaits++;
						}
					}
					offset = end;
				}
			}
			finally {
				deframer.release();
				channel.finishAndReleaseAll();
			}
			channel.checkException();
		}
		assertThat(checks).isPositive();
		assertThat(slicedWaits).as("waits that keep a slice of a read buffer (a large message streaming in)")
			.isPositive();
	}

	/**
	 * One to three streams of gRPC messages of mixed sizes (a few bytes to 100 KB), in
	 * DATA frames of up to 16 KiB cut at random, interleaved.
	 */
	private static byte[] wire(Random random) {
		List<List<byte[]>> perStream = new ArrayList<>();
		for (int s = 0; s < 1 + random.nextInt(3); s++) {
			int stream = 1 + 2 * s;
			ByteArrayOutputStream messages = new ByteArrayOutputStream();
			for (int m = 0; m < 1 + random.nextInt(30); m++) {
				int kind = random.nextInt(10);
				int size = (kind < 4) ? random.nextInt(300)
						: (kind < 8) ? random.nextInt(8000) : random.nextInt(100000);
				messages.writeBytes(Http2FrameAlignerTests.message(size, random.nextLong()));
			}
			byte[] bytes = messages.toByteArray();
			List<byte[]> frames = new ArrayList<>();
			frames.add(Http2FrameAlignerTests.frame(HEADERS, END_HEADERS, stream, new byte[20]));
			for (int offset = 0; offset < bytes.length;) {
				int end = Math.min(bytes.length, offset + (random.nextBoolean() ? 16384 : 1 + random.nextInt(16384)));
				byte[] payload = new byte[end - offset];
				System.arraycopy(bytes, offset, payload, 0, payload.length);
				frames.add(Http2FrameAlignerTests.frame(DATA, 0, stream, payload));
				offset = end;
			}
			frames.add(Http2FrameAlignerTests.frame(HEADERS, END_HEADERS | END_STREAM, stream, new byte[10]));
			perStream.add(frames);
		}
		return Http2FrameAlignerTests.interleave(perStream, random);
	}

	/**
	 * gRPC's HTTP/2 decoder and message deframer as far as what they keep: DATA payload
	 * pieces per stream, each keeping the buffer it is part of until all its bytes are
	 * read into messages.
	 */
	private static final class Deframer {

		private final Map<Integer, Stream> streams = new TreeMap<>();

		/** Buffers passed on and not released yet. */
		private final Map<ByteBuf, Boolean> passedOn = new IdentityHashMap<>();

		private final byte[] header = new byte[9];

		private int headerFill;

		private int payloadLeft;

		private byte type;

		private int streamId;

		void take(ByteBuf buffer) {
			this.passedOn.put(buffer, Boolean.TRUE);
			int index = buffer.readerIndex();
			int end = buffer.writerIndex();
			while (index < end) {
				if (this.headerFill < 9) {
					this.header[this.headerFill++] = buffer.getByte(index++);
					if (this.headerFill == 9) {
						this.payloadLeft = ((this.header[0] & 0xFF) << 16) | ((this.header[1] & 0xFF) << 8)
								| (this.header[2] & 0xFF);
						this.type = this.header[3];
						this.streamId = ((this.header[5] & 0x7F) << 24) | ((this.header[6] & 0xFF) << 16)
								| ((this.header[7] & 0xFF) << 8) | (this.header[8] & 0xFF);
						endOfPayload();
					}
					continue;
				}
				int n = Math.min(this.payloadLeft, end - index);
				if (this.type == DATA && n > 0) {
					this.streams.computeIfAbsent(this.streamId, (id) -> new Stream()).data(buffer, index, n);
				}
				index += n;
				this.payloadLeft -= n;
				endOfPayload();
			}
			letGo();
		}

		private void endOfPayload() {
			if (this.headerFill == 9 && this.payloadLeft == 0) {
				this.headerFill = 0;
				if ((this.header[4] & END_STREAM) != 0) {
					Stream ended = this.streams.remove(this.streamId);
					if (ended != null) {
						ended.pieces.forEach((piece) -> piece.done = true);
						ended.pieces.clear();
					}
				}
				for (Stream stream : this.streams.values()) {
					stream.readMessages();
				}
			}
		}

		/** Releases the buffers whose pieces were all read. */
		private void letGo() {
			for (Stream stream : this.streams.values()) {
				stream.pieces.removeIf((piece) -> piece.done);
			}
			List<ByteBuf> done = new ArrayList<>();
			for (ByteBuf passed : this.passedOn.keySet()) {
				if (!keptByAny(passed)) {
					done.add(passed);
				}
			}
			done.forEach((passed) -> {
				this.passedOn.remove(passed);
				passed.release();
			});
		}

		private boolean keptByAny(ByteBuf buffer) {
			for (Stream stream : this.streams.values()) {
				for (Piece piece : stream.pieces) {
					if (piece.buffer == buffer) {
						return true;
					}
				}
			}
			return false;
		}

		void release() {
			this.passedOn.keySet().forEach(ByteBuf::release);
			this.passedOn.clear();
		}

		private static final class Piece {

			final ByteBuf buffer;

			final int index;

			final int length;

			int read;

			boolean done;

			Piece(ByteBuf buffer, int index, int length) {
				this.buffer = buffer;
				this.index = index;
				this.length = length;
			}

		}

		private static final class Stream {

			private final Deque<Piece> pieces = new ArrayDeque<>();

			/** Bytes received and not read into messages yet. */
			private long unread;

			void data(ByteBuf buffer, int index, int length) {
				this.pieces.add(new Piece(buffer, index, length));
				this.unread += length;
			}

			/** Reads every complete message, as a deframer whose application keeps up. */
			void readMessages() {
				while (this.unread >= 5) {
					long length = peekLength();
					if (this.unread < 5 + length) {
						return;
					}
					skip(5 + length);
				}
			}

			private long peekLength() {
				long length = 0;
				int seen = 0;
				for (Piece piece : this.pieces) {
					for (int i = piece.read; i < piece.length && seen < 5; i++, seen++) {
						if (seen > 0) {
							length = (length << 8) | piece.buffer.getUnsignedByte(piece.index + i);
						}
					}
					if (seen == 5) {
						break;
					}
				}
				return length;
			}

			private void skip(long bytes) {
				this.unread -= bytes;
				while (bytes > 0) {
					Piece piece = this.pieces.peekFirst();
					int n = (int) Math.min(bytes, piece.length - piece.read);
					piece.read += n;
					bytes -= n;
					if (piece.read == piece.length) {
						piece.done = true;
						this.pieces.removeFirst();
					}
				}
			}

			/** Bytes received of the message the stream waits in. */
			long waitingBytes() {
				return this.unread;
			}

			/**
			 * What the pieces of the waiting message keep: each buffer under them once,
			 * by capacity.
			 */
			long keptBytes() {
				Map<ByteBuf, Boolean> roots = new IdentityHashMap<>();
				long kept = 0;
				for (Piece piece : this.pieces) {
					ByteBuf root = Buffers.root(piece.buffer);
					if (roots.put(root, Boolean.TRUE) == null) {
						kept += root.capacity();
					}
				}
				return kept;
			}

			boolean keepsASlice() {
				for (Piece piece : this.pieces) {
					if (Buffers.root(piece.buffer).capacity() > piece.length) {
						return true;
					}
				}
				return false;
			}

		}

	}

}
