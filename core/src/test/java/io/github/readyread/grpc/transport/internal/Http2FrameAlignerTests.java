package io.github.readyread.grpc.transport.internal;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * Tests for {@link Http2FrameAligner}.
 */
class Http2FrameAlignerTests {

	private static final byte DATA = 0;

	private static final byte HEADERS = 1;

	private static final byte RST_STREAM = 3;

	private static final byte SETTINGS = 4;

	private static final int END_STREAM = 0x1;

	private static final int END_HEADERS = 0x4;

	private static final int PADDED = 0x8;

	private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);

	private final ReadPathStats stats = new ReadPathStats("test");

	private EmbeddedChannel channel;

	private final ReadDemand demand = new ReadDemand(16402, 9);

	@AfterEach
	void poolIsEmptyAfterClose() {
		if (this.channel != null) {
			this.channel.finishAndReleaseAll();
			this.channel.checkException();
		}
		this.pool.trimCurrentThreadCache();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
	}

	/**
	 * Thousands of empty frames of an unknown type (which HTTP/2 says to ignore) fit in
	 * one 64 KiB read; the plan grows for that read, then shrinks, so the connection
	 * keeps no heap sized for its largest read.
	 */
	@Test
	void aReadOfThousandsOfFramesLeavesNoPlanSizedForIt() throws ReflectiveOperationException {
		EmbeddedChannel channel = client();
		ByteArrayOutputStream frames = new ByteArrayOutputStream();
		for (int i = 0; i < 7000; i++) {
			frames.writeBytes(frame((byte) 0x20, 0, new byte[0]));
		}
		// Ends inside a DATA frame, whose head goes on as a piece of its own.
		frames.write(frame(DATA, 1, new byte[] { 0, 0, 0, 0, 100 }), 0, 9 + 3);
		byte[] sent = frames.toByteArray();
		channel.writeInbound(read(sent, 65536));
		byte[] passed = concat(drain(channel).toArray(new byte[0][]));
		assertThat(passed).hasSize(7000 * 9 + 9 + 3);
		assertThat(planSlots(channel)).isLessThanOrEqualTo(ReadPlan.KEPT_SLOTS);
		// The DATA frame's last two bytes, then a SETTINGS frame.
		channel.writeInbound(read(concat(new byte[] { 0, 100 }, frame(SETTINGS, 0, new byte[0])), 64));
		assertThat(concat(drain(channel).toArray(new byte[0][]))).endsWith(frame(SETTINGS, 0, new byte[0]));
		assertThat(planSlots(channel)).isLessThanOrEqualTo(ReadPlan.KEPT_SLOTS);
	}

	private static int planSlots(EmbeddedChannel channel) throws ReflectiveOperationException {
		Field plan = Http2FrameAligner.class.getDeclaredField("plan");
		plan.setAccessible(true);
		return ((ReadPlan) plan.get(channel.pipeline().get(Http2FrameAligner.class))).slots();
	}

	@Test
	void completeFramesGoOnAsOneSliceOfTheReadBuffer() {
		EmbeddedChannel channel = client();
		byte[] frames = concat(frame(SETTINGS, 0, new byte[12]), frame(HEADERS, 1, new byte[40]));
		ByteBuf read = read(frames, 4096);
		channel.writeInbound(read);
		List<byte[]> out = drain(channel);
		assertThat(out).hasSize(1);
		assertThat(out.get(0)).isEqualTo(frames);
		assertThat(read.refCnt()).isZero();
		assertThat(this.stats.incompleteBytes()).isZero();
	}

	@Test
	void partialFrameKeepsOnlyItsOwnBytes() {
		// A frame other than DATA is held until it is whole.
		EmbeddedChannel channel = client();
		byte[] payload = random(16384, 1);
		byte[] frame = frame(HEADERS, END_HEADERS, 1, payload);
		long before = this.pool.pinnedDirectMemory();
		channel.writeInbound(read(slice(frame, 0, 9 + 8192), 16393));
		assertThat(drain(channel)).isEmpty();
		// The read buffer is gone; only the 8192 payload bytes remain, in a buffer of
		// their own (the header is kept in fields).
		assertThat(this.pool.pinnedDirectMemory() - before).isEqualTo(8192);
		assertThat(this.stats.incompleteBytes()).isEqualTo(8192);
		ReadDemand demand = this.demand;
		assertThat(demand.missingBytes()).isEqualTo(8192);
		assertThat(demand.readSize()).isEqualTo(8192 + 9);
		channel.writeInbound(read(slice(frame, 9 + 8192, frame.length), 8192));
		List<byte[]> out = drain(channel);
		assertThat(concat(out.toArray(new byte[0][]))).isEqualTo(frame);
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(demand.missingBytes()).isEqualTo(9);
	}

	@Test
	void aDataFrameGoesOnAsItsBytesArriveOneDataFramePerReadTheLastWithItsFlags() {
		EmbeddedChannel channel = client();
		byte[] message = message(16379, 1);
		byte[] frame = frame(DATA, END_STREAM, 1, message);
		openStreamOne(channel);
		long before = this.pool.pinnedDirectMemory();
		channel.writeInbound(read(slice(frame, 0, 9 + 8192), 16393));
		List<ByteBuf> head = readAll(channel);
		try {
			// The head goes on at once, as a DATA frame of its own that does not end the
			// stream; the message waits with half of the buffer: its bytes in a copy.
			assertThat(head).hasSize(2);
			assertThat(bytes(head.get(0))).isEqualTo(frame(DATA, 0, 1, new byte[0], 8192));
			assertThat(bytes(head.get(1))).isEqualTo(slice(message, 0, 8192));
			assertThat(head.get(1).capacity()).isEqualTo(8192);
			// The header goes on as a slice of the read buffer, rewritten in place: once
			// gRPC has read it, only the copy remains.
			head.remove(0).release();
			assertThat(this.pool.pinnedDirectMemory() - before).isEqualTo(8192);
		}
		finally {
			release(head);
		}
		// Nothing is held while the frame waits for the rest, whose size is the demand.
		Http2FrameAligner aligner = channel.pipeline().get(Http2FrameAligner.class);
		assertThat(aligner.heldBytes()).isZero();
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.pool.pinnedDirectMemory()).isEqualTo(before);
		assertThat(this.demand.missingBytes()).isEqualTo(8192);
		assertThat(this.demand.readSize()).isEqualTo(8192 + 9);
		channel.writeInbound(read(slice(frame, 9 + 8192, 9 + 12000), 16393));
		channel.writeInbound(read(slice(frame, 9 + 12000, frame.length), 16393));
		List<byte[]> out = drain(channel);
		assertThat(frames(concat(out.toArray(new byte[0][])))).extracting((f) -> f[0] + ":" + f[1] + ":" + f[2])
			.containsExactly("0:0:3808", "0:1:" + (16384 - 12000));
		assertThat(dataOf(concat(out.toArray(new byte[0][])))).isEqualTo(slice(message, 8192, message.length));
		assertThat(this.demand.missingBytes()).isEqualTo(9);
		// Two headers more than the frame came with.
		assertThat(aligner.splitDataFrames()).isEqualTo(2);
	}

	@Test
	void readBuffersWithHeadroomTakeTheHeaderOfTheirFirstPieceSoItGoesOnWithTheReadsFramesInOneSlice() {
		EmbeddedChannel channel = client();
		byte[] message = message(16379, 1);
		byte[] frame = frame(DATA, 0, 1, message);
		byte[] trailers = frame(HEADERS, END_HEADERS | END_STREAM, 1, new byte[10]);
		openStreamOne(channel);
		channel.writeInbound(readWithHeadroom(slice(frame, 0, 9 + 13000), 16384));
		drain(channel);
		// A read inside the frame (the message fills it): its bytes go on as one slice,
		// their header in front.
		ByteBuf middle = readWithHeadroom(slice(frame, 9 + 13000, 9 + 15000), 2048);
		channel.writeInbound(middle);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).hasSize(1);
			assertThat(bytes(out.get(0))).isEqualTo(frame(DATA, 0, 1, slice(message, 13000, 15000)));
			assertThat(Buffers.root(out.get(0))).isSameAs(Buffers.root(middle));
		}
		finally {
			release(out);
		}
		// The last piece and the frames after it: one slice of the read buffer.
		ByteBuf last = readWithHeadroom(concat(slice(frame, 9 + 15000, frame.length), trailers), 16384);
		channel.writeInbound(last);
		out = readAll(channel);
		try {
			assertThat(out).hasSize(1);
			assertThat(bytes(out.get(0)))
				.isEqualTo(concat(frame(DATA, 0, 1, slice(message, 15000, message.length)), trailers));
			assertThat(Buffers.root(out.get(0))).isSameAs(Buffers.root(last));
		}
		finally {
			release(out);
		}
		assertThat(channel.pipeline().get(Http2FrameAligner.class).splitDataFrames()).isEqualTo(2);
		assertThat(last.refCnt()).isZero();
	}

	@Test
	void aDataFrameWhoseReadEndsRightAfterItsHeaderGoesOnWithTheNextRead() {
		EmbeddedChannel channel = client();
		byte[] frame = frame(DATA, END_STREAM, 1, message(995, 1));
		channel.writeInbound(read(slice(frame, 0, 9), 64));
		assertThat(drain(channel)).isEmpty();
		assertThat(channel.pipeline().get(Http2FrameAligner.class).heldBytes()).isEqualTo(9);
		assertThat(this.demand.missingBytes()).isEqualTo(1000);
		channel.writeInbound(read(slice(frame, 9, frame.length), 1000));
		assertThat(concat(drain(channel).toArray(new byte[0][]))).isEqualTo(frame);
		assertThat(channel.pipeline().get(Http2FrameAligner.class).splitDataFrames()).isZero();
	}

	@Test
	void smallDataFrameIsCopiedIntoItsOwnBuffer() {
		EmbeddedChannel channel = client();
		byte[] frames = concat(frame(DATA, 1, random(100, 2)), frame(HEADERS, 1, new byte[20]));
		ByteBuf read = read(frames, 16393);
		channel.writeInbound(read);
		ByteBuf header = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(concat(drain(channel).toArray(new byte[0][]))).isEqualTo(slice(frames, 109, frames.length));
			// Changed with adaptive (64 KiB) reads, where every DATA frame takes this
			// path: the header goes on as part of the read buffer (gRPC keeps it in
			// fields), the payload in a copy of its exact size (16384 + 9 bytes would
			// take
			// the pool's 20 KiB size class).
			assertThat(bytes(header)).isEqualTo(slice(frames, 0, 9));
			header.release();
			// The read buffer went back to the pool while the DATA payload is held.
			assertThat(read.refCnt()).isZero();
			assertThat(data.capacity()).isEqualTo(100);
			assertThat(bytes(data)).isEqualTo(slice(frames, 9, 109));
		}
		finally {
			if (header.refCnt() > 0) {
				header.release();
			}
			data.release();
		}
	}

	@Test
	void aDataFrameThatFillsMostOfItsReadBufferGoesOnAsASliceOfIt() {
		// 16,000 of 16,393 bytes: whatever gRPC keeps of that buffer, it keeps for bytes
		// it carries, and gRPC's own read path would have sliced it too: no copy.
		EmbeddedChannel channel = client();
		byte[] frame = frame(DATA, 1, random(16000, 3));
		ByteBuf read = read(frame, 16393);
		channel.writeInbound(read);
		ByteBuf whole = channel.readInbound();
		try {
			assertThat((Object) channel.readInbound()).as("one piece: header and payload").isNull();
			assertThat(bytes(whole)).isEqualTo(frame);
			assertThat(Buffers.root(whole)).as("the buffer holding it").isSameAs(Buffers.root(read));
			assertThat(read.refCnt()).as("read buffer references while gRPC keeps the frame").isOne();
		}
		finally {
			whole.release();
		}
		assertThat(read.refCnt()).isZero();
	}

	@Test
	void aDataFrameThatFillsLessThanThreeQuartersOfItsReadBufferGoesOnInACopy() {
		// Adaptive reads take buffers of any size from 1 KiB up: gRPC keeps DATA until
		// its message is whole, so a DATA frame that covers little of its read buffer
		// must not keep it: 12,000 of 16,393 bytes is 73 %.
		EmbeddedChannel channel = client();
		byte[] frame = frame(DATA, 1, random(12000, 3));
		ByteBuf read = read(frame, 16393);
		channel.writeInbound(read);
		ByteBuf header = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(bytes(header)).isEqualTo(slice(frame, 0, 9));
			// gRPC's frame reader is done with the header within the read.
			header.release();
			assertThat(read.refCnt()).as("read buffer references once the header is read").isZero();
			assertThat(data.capacity()).isEqualTo(12000);
			assertThat(bytes(data)).isEqualTo(slice(frame, 9, frame.length));
		}
		finally {
			if (header.refCnt() > 0) {
				header.release();
			}
			if (data != null) {
				data.release();
			}
		}
	}

	@Test
	void dataFramesOfMessagesThatEndInTheReadGoOnAsSlicesHoweverLittleOfTheBufferTheyFill() {
		// gRPC is done with them before the read ends: a copy would buy nothing.
		EmbeddedChannel channel = client();
		openStreamOne(channel);
		byte[] a = message(1000, 1);
		byte[] b = message(3000, 2);
		byte[] frames = concat(frame(DATA, 0, 1, concat(a, slice(b, 0, 100))),
				frame(DATA, 0, 1, slice(b, 100, b.length)));
		ByteBuf read = read(frames, 65536);
		channel.writeInbound(read);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).as("one piece: both frames, as they came").hasSize(1);
			assertThat(bytes(out.get(0))).isEqualTo(frames);
			assertThat(Buffers.root(out.get(0))).isSameAs(Buffers.root(read));
		}
		finally {
			release(out);
		}
		assertThat(read.refCnt()).isZero();
		assertThat(channel.pipeline().get(Http2FrameAligner.class).splitDataFrames()).isZero();
	}

	@Test
	void aMessageStillIncompleteAfterTheReadIsCopiedIfItFillsLittleOfTheBufferThoughDataFillsIt() {
		// Whole DATA frames fill 87.5 % of the buffer, but 5,000 of those bytes belong to
		// the message the stream then waits in: as a slice, it would keep 40,000 bytes
		// for them. The frames of the message that ends (A) go on as a slice.
		EmbeddedChannel channel = client();
		openStreamOne(channel);
		byte[] a = message(29995, 1);
		byte[] ended = concat(frame(DATA, 0, 1, slice(a, 0, 16384)), frame(DATA, 0, 1, slice(a, 16384, a.length)));
		byte[] waiting = frame(DATA, 0, 1, slice(message(20000, 2), 0, 5000));
		ByteBuf read = read(concat(ended, waiting), 40000);
		channel.writeInbound(read);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).hasSize(2);
			assertThat(bytes(out.get(0))).as("the frames of A and the header of the last")
				.isEqualTo(concat(ended, slice(waiting, 0, 9)));
			assertThat(bytes(out.get(1))).isEqualTo(slice(waiting, 9, waiting.length));
			assertThat(out.get(1).capacity()).isEqualTo(5000);
			out.get(0).release();
			assertThat(read.refCnt()).as("what gRPC keeps while the message waits keeps no read buffer").isZero();
		}
		finally {
			release(out);
		}
	}

	@Test
	void aMessageStillIncompleteAfterTheReadGoesOnAsASliceIfItFillsThreeQuartersOfTheBuffer() {
		// 49,152 of 65,536 bytes: keeping the buffer for them costs at most 4/3 of what
		// the
		// message received, and saves copying them.
		EmbeddedChannel channel = client();
		openStreamOne(channel);
		byte[] message = message(100000, 3);
		byte[] frames = concat(frame(DATA, 0, 1, slice(message, 0, 16384)),
				frame(DATA, 0, 1, slice(message, 16384, 32768)), frame(DATA, 0, 1, slice(message, 32768, 49152)));
		ByteBuf read = read(frames, 65536);
		channel.writeInbound(read);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).hasSize(1);
			assertThat(bytes(out.get(0))).isEqualTo(frames);
			assertThat(Buffers.root(out.get(0))).isSameAs(Buffers.root(read));
		}
		finally {
			release(out);
		}
	}

	@Test
	void onSharedBuffersADataFrameThatFillsItsBufferGoesOnInACopy() {
		EmbeddedChannel channel = onSharedBuffers();
		byte[] frame = frame(DATA, 1, random(16000, 3));
		ByteBuf read = read(frame, 16393);
		channel.writeInbound(read);
		ByteBuf header = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(bytes(header)).isEqualTo(slice(frame, 0, 9));
			header.release();
			// An io_uring ring buffer is shared: gRPC keeps DATA until a message is
			// whole, so the payload must not keep the read buffer.
			assertThat(read.refCnt()).isZero();
			assertThat(data.capacity()).isEqualTo(16000);
			assertThat(bytes(data)).isEqualTo(slice(frame, 9, frame.length));
		}
		finally {
			if (header.refCnt() > 0) {
				header.release();
			}
			if (data != null) {
				data.release();
			}
		}
	}

	@Test
	void onSharedBuffersADataFramePayloadThatIsAWholeReadGoesOnInACopy() {
		EmbeddedChannel channel = onSharedBuffers();
		byte[] frame = frame(DATA, 1, random(16384, 4));
		channel.writeInbound(read(slice(frame, 0, 9), 9));
		ByteBuf read = read(slice(frame, 9, frame.length), 16384);
		channel.writeInbound(read);
		ByteBuf header = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(bytes(header)).isEqualTo(slice(frame, 0, 9));
			assertThat(read.refCnt()).isZero();
			assertThat(data.capacity()).isEqualTo(16384);
			assertThat(bytes(data)).isEqualTo(slice(frame, 9, frame.length));
		}
		finally {
			header.release();
			if (data != null) {
				data.release();
			}
		}
	}

	@Test
	void onSharedBuffersAnEmptyDataFrameGoesOnInACopyOfItsOwn() {
		EmbeddedChannel channel = onSharedBuffers();
		byte[] frames = concat(frame(HEADERS, 1, new byte[20]), frame(DATA, 1, new byte[0]),
				frame(SETTINGS, 0, new byte[6]));
		ByteBuf read = read(frames, 4096);
		channel.writeInbound(read);
		ByteBuf headers = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(bytes(headers)).isEqualTo(slice(frames, 0, 29));
			assertThat(concat(drain(channel).toArray(new byte[0][]))).isEqualTo(slice(frames, 38, frames.length));
			headers.release();
			assertThat(read.refCnt()).isZero();
			assertThat(data.capacity()).isEqualTo(9);
			assertThat(bytes(data)).isEqualTo(slice(frames, 29, 38));
		}
		finally {
			if (headers.refCnt() > 0) {
				headers.release();
			}
			if (data != null) {
				data.release();
			}
		}
	}

	@Test
	void serverPassesTheClientPrefaceOnInOnePiece() {
		EmbeddedChannel channel = server();
		byte[] settings = frame(SETTINGS, 0, new byte[6]);
		channel.writeInbound(read(slice(PREFACE, 0, 10), 64));
		assertThat(drain(channel)).isEmpty();
		assertThat(this.demand.missingBytes()).isEqualTo(14);
		channel.writeInbound(read(concat(slice(PREFACE, 10, 24), settings), 64));
		List<byte[]> out = drain(channel);
		assertThat(out).hasSize(2);
		assertThat(out.get(0)).isEqualTo(PREFACE);
		assertThat(out.get(1)).isEqualTo(settings);
	}

	@Test
	void everyByteComesOutOnceInOrderAndInWholeFramesWhateverTheReadSizes() {
		EmbeddedChannel channel = server();
		Random random = new Random(42);
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		stream.writeBytes(PREFACE);
		for (int i = 0; i < 300; i++) {
			byte type = (i % 3 == 0) ? HEADERS : DATA;
			int length = (i % 7 == 0) ? 0 : random.nextInt((i % 5 == 0) ? 16385 : 300);
			stream.writeBytes(frame(type, 1, random(length, i)));
		}
		byte[] all = stream.toByteArray();
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		int offset = 0;
		while (offset < all.length) {
			int size = 1 + random.nextInt(random.nextBoolean() ? 20 : 20000);
			int end = Math.min(all.length, offset + size);
			channel.writeInbound(read(slice(all, offset, end), size));
			for (byte[] piece : drain(channel)) {
				received.writeBytes(piece);
			}
			offset = end;
			assertThat(this.stats.incompleteBytes()).isLessThanOrEqualTo(16384);
		}
		byte[] out = received.toByteArray();
		// DATA frames may go on in pieces, one per read they span.
		assertThat(joined(out, PREFACE.length)).isEqualTo(joined(all, PREFACE.length));
		assertThat(out.length - all.length)
			.isEqualTo(9 * channel.pipeline().get(Http2FrameAligner.class).splitDataFrames());
		assertThat(this.stats.incompleteBytes()).isZero();
	}

	@Test
	void piecesHandedOnAreWholeFramesOrADataHeaderFollowedByItsPayload() {
		EmbeddedChannel channel = client();
		byte[] all = concat(frame(HEADERS, 1, random(50, 1)), frame(DATA, 1, random(16384, 2)),
				frame(DATA, 1, random(3000, 3)), frame(HEADERS, 1, random(30, 4)));
		int[] cuts = { 0, 7, 40, 59 + 9 + 5000, 59 + 9 + 16384 + 9 + 100, all.length };
		List<byte[]> pieces = new ArrayList<>();
		for (int i = 1; i < cuts.length; i++) {
			channel.writeInbound(read(slice(all, cuts[i - 1], cuts[i]), 16393));
			pieces.addAll(drain(channel));
		}
		int i = 0;
		while (i < pieces.size()) {
			byte[] piece = pieces.get(i);
			if (piece.length == 9 && piece[3] == DATA) {
				int length = ((piece[0] & 0xFF) << 16) | ((piece[1] & 0xFF) << 8) | (piece[2] & 0xFF);
				assertThat(pieces.get(i + 1)).hasSize(length);
				i += 2;
				continue;
			}
			assertWholeFrames(piece);
			i++;
		}
		assertThat(joined(concat(pieces.toArray(new byte[0][])), 0)).isEqualTo(joined(all, 0));
	}

	@Test
	void frameAboveTheMaximumSizeIsPassedOnUnbufferedForGrpcToReject() {
		EmbeddedChannel channel = client();
		byte[] header = { 0, 0x40, 0x01, DATA, 0, 0, 0, 0, 1 };
		channel.writeInbound(read(slice(header, 0, 4), 16));
		assertThat(drain(channel)).isEmpty();
		long before = this.pool.pinnedDirectMemory();
		channel.writeInbound(read(concat(slice(header, 4, 9), random(1000, 5)), 2048));
		Http2FrameAligner aligner = channel.pipeline().get(Http2FrameAligner.class);
		assertThat(aligner.isPassingThrough()).isTrue();
		List<byte[]> out = drain(channel);
		assertThat(concat(out.toArray(new byte[0][]))).startsWith(header).hasSize(1009);
		assertThat(this.pool.pinnedDirectMemory()).isLessThanOrEqualTo(before);
		assertThat(this.stats.incompleteBytes()).isZero();
	}

	@Test
	void incompleteFrameIsReleasedWhenTheChannelCloses() {
		EmbeddedChannel channel = client();
		channel.writeInbound(read(slice(frame(HEADERS, 1, random(5000, 6)), 0, 3000), 4096));
		assertThat(this.stats.incompleteBytes()).isEqualTo(3000 - 9);
		channel.close();
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void behindARecordDecoderItAlignsWithoutADemand() {
		this.channel = new EmbeddedChannel(false, false);
		this.channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
		this.channel.pipeline()
			.addLast(Http2FrameAligner.behindRecordDecoder(false, this.stats, DataFrames.SLICE_FILLED_READS));
		register(this.channel);
		byte[] frame = frame(HEADERS, 1, random(5000, 7));
		this.channel.writeInbound(read(slice(frame, 0, 3000), 4096));
		assertThat(this.stats.incompleteBytes()).isEqualTo(3000 - 9);
		assertThat(drain(this.channel)).as("what goes on before the frame is whole").isEmpty();
		this.channel.writeInbound(read(slice(frame, 3000, frame.length), 4096));
		assertThat(concat(drain(this.channel).toArray(new byte[0][]))).as("what goes on once the rest arrives")
			.isEqualTo(frame);
		assertThat(this.stats.incompleteBytes()).isZero();
	}

	@Test
	void dataFrameEndingWithTheHeadOfAnIncompleteMessageGoesOnAsTwoFramesTheHeadInACopyOfItsOwn() {
		EmbeddedChannel channel = client();
		byte[] a = message(100, 1);
		byte[] b = message(200, 2);
		byte[] head = message(3000, 3);
		byte[] payload = concat(a, b, slice(head, 0, 50));
		byte[] frames = concat(frame(HEADERS, END_HEADERS, 1, new byte[20]), frame(DATA, 0, 1, payload));
		ByteBuf read = read(frames, 65536);
		channel.writeInbound(read);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).hasSize(5);
			assertThat(bytes(out.get(0))).isEqualTo(slice(frames, 0, 29));
			assertThat(bytes(out.get(1))).isEqualTo(frame(DATA, 0, 1, new byte[0], a.length + b.length));
			assertThat(bytes(out.get(2))).isEqualTo(concat(a, b));
			assertThat(bytes(out.get(3))).isEqualTo(frame(DATA, 0, 1, new byte[0], 50));
			// The head of the incomplete message, in a buffer of exactly its size: what
			// gRPC keeps while it waits for the rest.
			assertThat(bytes(out.get(4))).isEqualTo(slice(head, 0, 50));
			assertThat(out.get(4).capacity()).isEqualTo(50);
			// A and B end in this read: they go on as a slice of it, which gRPC is done
			// with before the read ends; then nothing keeps the read buffer.
			assertThat(Buffers.root(out.get(2))).isSameAs(Buffers.root(read));
			out.get(0).release();
			out.get(2).release();
			assertThat(read.refCnt()).isZero();
		}
		finally {
			release(out);
		}
		assertThat(channel.pipeline().get(Http2FrameAligner.class).splitDataFrames()).isOne();
	}

	@Test
	void messagesSpanningFramesAreCutOnlyWhereAnIncompleteMessageBegins() {
		EmbeddedChannel channel = client();
		byte[] stream = concat(message(30000, 1), message(100, 2), message(100, 3), message(20000, 4), message(7000, 5),
				message(10000, 6));
		List<byte[]> in = new ArrayList<>();
		in.add(frame(HEADERS, END_HEADERS, 1, new byte[20]));
		for (int offset = 0; offset < stream.length; offset += 16384) {
			in.add(frame(DATA, 0, 1, slice(stream, offset, Math.min(stream.length, offset + 16384))));
		}
		in.add(frame(HEADERS, END_HEADERS | END_STREAM, 1, new byte[10]));
		for (byte[] frame : in) {
			channel.writeInbound(read(frame, 65536));
		}
		byte[] wire = concat(drain(channel).toArray(new byte[0][]));
		// Messages begin at 0, 30005, 30110, 30215, 50220 and 57225 (the stream ends at
		// 67230); frames at 0, 16384, 32768, 49152 and 65536. Cut: where the 20005 B
		// message begins in the second frame, and the 10005 B one in the fourth.
		assertThat(frames(wire)).extracting((frame) -> frame[0] + ":" + frame[2])
			.containsExactly("1:20", "0:16384", "0:13831", "0:2553", "0:16384", "0:8073", "0:8311", "0:1694", "1:10");
		assertThat(dataOf(wire)).isEqualTo(stream);
	}

	@Test
	void aFrameWhoseBytesAllBelongToOneMessageIsNeverCut() {
		EmbeddedChannel channel = client();
		// A 1 MiB unary message: 65 DATA frames, none cut, no copy beyond the usual.
		byte[] stream = message(1024 * 1024, 7);
		ByteArrayOutputStream all = new ByteArrayOutputStream();
		all.writeBytes(frame(HEADERS, END_HEADERS, 1, new byte[20]));
		for (int offset = 0; offset < stream.length; offset += 16384) {
			all.writeBytes(frame(DATA, (offset + 16384 >= stream.length) ? END_STREAM : 0, 1,
					slice(stream, offset, Math.min(stream.length, offset + 16384))));
		}
		byte[] wire = all.toByteArray();
		Random random = new Random(3);
		ByteArrayOutputStream received = new ByteArrayOutputStream();
		// Where DATA frames end, and reads end, in the message's bytes.
		Set<Integer> frameEnds = new TreeSet<>();
		for (int[] frame : frames(wire)) {
			if (frame[0] == DATA) {
				frameEnds.add(dataOf(slice(wire, 0, frame[4] + frame[2])).length);
			}
		}
		Set<Integer> readEnds = new TreeSet<>();
		for (int offset = 0; offset < wire.length;) {
			int end = Math.min(wire.length, offset + 1 + random.nextInt(70000));
			channel.writeInbound(read(slice(wire, offset, end), 65536));
			drain(channel).forEach(received::writeBytes);
			readEnds.add(dataOfPrefix(wire, end));
			offset = end;
		}
		byte[] out = received.toByteArray();
		assertThat(joined(out, 0)).isEqualTo(joined(wire, 0));
		// Each DATA frame passed on ends where a frame or a read ended: pieces, never a
		// cut inside a read.
		int position = 0;
		for (int[] frame : frames(out)) {
			if (frame[0] == DATA) {
				position += frame[2];
				assertThat(frameEnds.contains(position) || readEnds.contains(position))
					.as("DATA passed on ends at %d", position)
					.isTrue();
			}
		}
		assertThat(position).isEqualTo(stream.length);
	}

	@Test
	void aFrameThatEndsItsStreamIsNotCut() {
		EmbeddedChannel channel = client();
		byte[] frames = concat(frame(HEADERS, END_HEADERS, 1, new byte[20]),
				frame(DATA, END_STREAM, 1, concat(message(100, 1), slice(message(3000, 2), 0, 50))));
		channel.writeInbound(read(frames, 65536));
		assertThat(concat(drain(channel).toArray(new byte[0][]))).isEqualTo(frames);
	}

	@Test
	void aPaddedFrameIsNotCutButTheMessagesInItAreFollowed() {
		EmbeddedChannel channel = client();
		byte[] b = message(3000, 2);
		byte[] padded = concat(new byte[] { 4 }, message(100, 1), slice(b, 0, 50), new byte[4]);
		byte[] c = message(400, 3);
		List<byte[]> in = List.of(frame(HEADERS, END_HEADERS, 1, new byte[20]), frame(DATA, PADDED, 1, padded),
				frame(DATA, 0, 1, concat(slice(b, 50, b.length), slice(c, 0, 20))));
		for (byte[] frame : in) {
			channel.writeInbound(read(frame, 65536));
		}
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		// Padding is flow-controlled with its frame: that one goes on whole; the next
		// one is cut where the message after the padded frame's incomplete one begins.
		assertThat(out).extracting((frame) -> frame[0] + ":" + frame[1] + ":" + frame[2])
			.containsExactly("1:4:20", "0:8:160", "0:0:2955", "0:0:20");
	}

	@Test
	void aStreamIsFollowedFromItsHeadersUntilItEndsOrIsReset() {
		EmbeddedChannel channel = client();
		byte[] payload = concat(message(100, 1), slice(message(3000, 2), 0, 50));
		List<byte[]> in = List.of(frame(HEADERS, END_HEADERS, 1, new byte[20]),
				frame(HEADERS, END_HEADERS, 3, new byte[20]), frame(HEADERS, END_HEADERS, 5, new byte[20]),
				frame(RST_STREAM, 0, 1, new byte[4]), frame(HEADERS, END_HEADERS | END_STREAM, 3, new byte[10]),
				// reset, ended, never opened: passed on as they came
				frame(DATA, 0, 1, payload), frame(DATA, 0, 3, payload), frame(DATA, 0, 7, payload),
				// open
				frame(DATA, 0, 5, payload));
		for (byte[] frame : in) {
			channel.writeInbound(read(frame, 65536));
		}
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		assertThat(out).extracting((frame) -> frame[0] + ":" + frame[3] + ":" + frame[2])
			.containsExactly("1:1:20", "1:3:20", "1:5:20", "3:1:4", "1:3:10", "0:1:155", "0:3:155", "0:7:155",
					"0:5:105", "0:5:50");
	}

	@Test
	void aboveTheCapTheOldestStreamIsForgotten() {
		EmbeddedChannel channel = client();
		int streams = MessageBoundaries.MAX_STREAMS + 1;
		for (int i = 0; i < streams; i++) {
			channel.writeInbound(read(frame(HEADERS, END_HEADERS, 1 + 2 * i, new byte[20]), 64));
		}
		drain(channel);
		byte[] payload = concat(message(100, 1), slice(message(3000, 2), 0, 50));
		int newest = 1 + 2 * (streams - 1);
		for (int stream : new int[] { 1, 3, newest }) {
			channel.writeInbound(read(frame(DATA, 0, stream, payload), 65536));
		}
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		assertThat(out).extracting((frame) -> frame[3] + ":" + frame[2])
			.containsExactly("1:155", "3:105", "3:50", newest + ":105", newest + ":50");
	}

	@Test
	void aMessagePrefixSplitAcrossFramesIsFollowed() {
		EmbeddedChannel channel = client();
		byte[] b = message(3000, 2);
		byte[] c = message(10, 3);
		List<byte[]> in = List.of(frame(HEADERS, END_HEADERS, 1, new byte[20]),
				frame(DATA, 0, 1, concat(message(100, 1), slice(b, 0, 3))), frame(DATA, 0, 1, slice(b, 3, 1000)),
				frame(DATA, 0, 1, concat(slice(b, 1000, b.length), c)));
		for (byte[] frame : in) {
			channel.writeInbound(read(frame, 65536));
		}
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		assertThat(out).extracting((frame) -> frame[0] + ":" + frame[2])
			.containsExactly("1:20", "0:105", "0:3", "0:997", "0:2020");
	}

	@Test
	void anIncompleteMessageThatTheNextFrameOfTheSameReadCompletesIsNotCut() {
		EmbeddedChannel channel = client();
		byte[] b = message(3000, 2);
		byte[] first = frame(DATA, 0, 1, concat(message(100, 1), slice(b, 0, 50)));
		byte[] second = frame(DATA, 0, 1, slice(b, 50, b.length));
		channel.writeInbound(read(frame(HEADERS, END_HEADERS, 1, new byte[20]), 64));
		// Both in one read: gRPC is done with the first before the read ends.
		channel.writeInbound(read(concat(first, second), 65536));
		// The second in a later read: the head waits, in a copy of its own.
		channel.writeInbound(read(first, 65536));
		channel.writeInbound(read(second, 65536));
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		assertThat(out).extracting((frame) -> frame[0] + ":" + frame[2])
			.containsExactly("1:20", "0:155", "0:2955", "0:105", "0:50", "0:2955");
	}

	@Test
	void anIncompleteMessageThatALaterFrameOfTheSameReadCompletesIsNotCut() {
		// A frame of another stream in between, and the message's middle in a frame of
		// its own: gRPC is still done with all of it before the read ends.
		EmbeddedChannel channel = client();
		byte[] b = message(3000, 2);
		channel.writeInbound(
				read(concat(frame(HEADERS, END_HEADERS, 1, new byte[20]), frame(HEADERS, END_HEADERS, 3, new byte[20])),
						128));
		drain(channel);
		byte[] frames = concat(frame(DATA, 0, 1, concat(message(100, 1), slice(b, 0, 50))),
				frame(DATA, 0, 3, message(10, 4)), frame(DATA, 0, 1, slice(b, 50, 1000)),
				frame(DATA, 0, 1, slice(b, 1000, b.length)));
		channel.writeInbound(read(frames, 65536));
		assertThat(concat(drain(channel).toArray(new byte[0][]))).isEqualTo(frames);
		assertThat(channel.pipeline().get(Http2FrameAligner.class).splitDataFrames()).isZero();
	}

	@Test
	void aFrameThatSpansReadsIsCutToo() {
		EmbeddedChannel channel = client();
		byte[] a = message(5000, 1);
		byte[] head = slice(message(3000, 2), 0, 200);
		byte[] data = frame(DATA, 0, 1, concat(a, head));
		openStreamOne(channel);
		channel.writeInbound(read(slice(data, 0, 3000), 4096));
		// The frame's head goes on at once (A waits, with less than three quarters of
		// the buffer: copied).
		assertThat(frames(concat(drain(channel).toArray(new byte[0][])))).extracting((f) -> f[0] + ":" + f[2])
			.containsExactly("0:2991");
		channel.writeInbound(read(slice(data, 3000, data.length), 4096));
		List<ByteBuf> out = readAll(channel);
		try {
			// The rest of A ends in this read; the next message's head is cut off, in a
			// copy of its size.
			assertThat(out).hasSize(4);
			assertThat(bytes(out.get(0))).isEqualTo(frame(DATA, 0, 1, new byte[0], a.length - 2991));
			assertThat(bytes(out.get(1))).isEqualTo(slice(a, 2991, a.length));
			assertThat(bytes(out.get(2))).isEqualTo(frame(DATA, 0, 1, new byte[0], head.length));
			assertThat(bytes(out.get(3))).isEqualTo(head);
			assertThat(out.get(3).capacity()).isEqualTo(head.length);
		}
		finally {
			release(out);
		}
	}

	@Test
	void onSharedBuffersBothPiecesOfACutFrameAreCopies() {
		EmbeddedChannel channel = onSharedBuffers();
		byte[] a = message(15000, 1);
		byte[] head = slice(message(3000, 2), 0, 995);
		openStreamOne(channel);
		ByteBuf read = read(frame(DATA, 0, 1, concat(a, head)), 16393);
		channel.writeInbound(read);
		List<ByteBuf> out = readAll(channel);
		try {
			assertThat(out).hasSize(4);
			// Nothing of the shared read buffer is kept.
			assertThat(read.refCnt()).isZero();
			assertThat(out.get(1).capacity()).isEqualTo(a.length);
			assertThat(bytes(out.get(1))).isEqualTo(a);
			assertThat(out.get(3).capacity()).isEqualTo(head.length);
			assertThat(bytes(out.get(3))).isEqualTo(head);
		}
		finally {
			release(out);
		}
	}

	@Test
	void anAbsurdLengthPrefixIsCutHarmlesslyAndWhatFollowsGoesOnAsItCame() {
		EmbeddedChannel channel = client();
		byte[] forged = { 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3 };
		List<byte[]> in = List.of(frame(HEADERS, END_HEADERS, 1, new byte[20]),
				frame(DATA, 0, 1, concat(message(100, 1), forged)), frame(DATA, 0, 1, random(16384, 2)),
				frame(DATA, 0, 1, random(16384, 3)), frame(HEADERS, END_HEADERS | END_STREAM, 1, new byte[10]));
		for (byte[] frame : in) {
			channel.writeInbound(read(frame, 65536));
		}
		List<int[]> out = frames(concat(drain(channel).toArray(new byte[0][])));
		// The forged message never completes: nothing after its head is cut.
		assertThat(out).extracting((frame) -> frame[0] + ":" + frame[2])
			.containsExactly("1:20", "0:105", "0:8", "0:16384", "0:16384", "1:10");
	}

	@Test
	void randomGrpcStreamsKeepTheirBytesFlagsAndFlowControlledCountsWhateverTheCuts() {
		long splits = 0;
		for (int seed = 0; seed < 30; seed++) {
			Random random = new Random(seed);
			Map<Integer, ByteArrayOutputStream> sent = new TreeMap<>();
			Map<Integer, Integer> sentFlowControlled = new TreeMap<>();
			List<List<byte[]>> perStream = new ArrayList<>();
			for (int s = 0; s < 1 + random.nextInt(4); s++) {
				int stream = 1 + 2 * s;
				ByteArrayOutputStream data = new ByteArrayOutputStream();
				int messages = 1 + random.nextInt(40);
				for (int m = 0; m < messages; m++) {
					int kind = random.nextInt(10);
					int size = (kind < 6) ? random.nextInt(200)
							: (kind < 9) ? random.nextInt(5000) : random.nextInt(60000);
					data.writeBytes(message(size, random.nextLong()));
				}
				byte[] bytes = data.toByteArray();
				List<byte[]> frames = new ArrayList<>();
				frames.add(frame(HEADERS, END_HEADERS, stream, new byte[20]));
				boolean endInData = random.nextBoolean();
				int flowControlled = 0;
				for (int offset = 0; offset < bytes.length;) {
					int end = Math.min(bytes.length, offset + 1 + random.nextInt(16384));
					int flags = (endInData && end == bytes.length) ? END_STREAM : 0;
					byte[] payload = slice(bytes, offset, end);
					if (random.nextInt(10) == 0 && payload.length < 16000) {
						int padding = random.nextInt(20);
						payload = concat(new byte[] { (byte) padding }, payload, new byte[padding]);
						flags |= PADDED;
					}
					frames.add(frame(DATA, flags, stream, payload));
					flowControlled += payload.length;
					offset = end;
				}
				if (!endInData) {
					frames.add(frame(HEADERS, END_HEADERS | END_STREAM, stream, new byte[10]));
				}
				sent.put(stream, data);
				sentFlowControlled.put(stream, flowControlled);
				perStream.add(frames);
			}
			byte[] all = interleave(perStream, random);
			EmbeddedChannel channel = client();
			ByteArrayOutputStream received = new ByteArrayOutputStream();
			for (int offset = 0; offset < all.length;) {
				int end = Math.min(all.length, offset + 1 + random.nextInt(random.nextBoolean() ? 100 : 70000));
				channel.writeInbound(read(slice(all, offset, end), random.nextBoolean() ? 65536 : end - offset));
				for (byte[] piece : drain(channel)) {
					received.writeBytes(piece);
				}
				offset = end;
			}
			Map<Integer, ByteArrayOutputStream> data = new TreeMap<>();
			Map<Integer, Integer> flowControlled = new TreeMap<>();
			byte[] out = received.toByteArray();
			for (int[] frame : frames(out)) {
				int stream = frame[3];
				assertThat(data.containsKey(-stream)).as("nothing after END_STREAM on stream %d", stream).isFalse();
				if (frame[0] == DATA) {
					int from = frame[4];
					int to = from + frame[2];
					if ((frame[1] & PADDED) != 0) {
						to -= out[from] & 0xFF;
						from++;
					}
					data.computeIfAbsent(stream, (key) -> new ByteArrayOutputStream()).write(out, from, to - from);
					flowControlled.merge(stream, frame[2], Integer::sum);
				}
				if ((frame[1] & END_STREAM) != 0) {
					data.put(-stream, null);
				}
			}
			for (int stream : sent.keySet()) {
				assertThat(data).as("stream %d ended", stream).containsKey(-stream);
				assertThat(data.get(stream).toByteArray()).as("stream %d, seed %d", stream, seed)
					.isEqualTo(sent.get(stream).toByteArray());
				assertThat(flowControlled.get(stream)).as("flow-controlled bytes of stream %d", stream)
					.isEqualTo(sentFlowControlled.get(stream));
			}
			splits += channel.pipeline().get(Http2FrameAligner.class).splitDataFrames();
			assertThat(out.length)
				.isEqualTo(all.length + 9 * channel.pipeline().get(Http2FrameAligner.class).splitDataFrames());
			channel.finishAndReleaseAll();
			channel.checkException();
		}
		assertThat(splits).as("DATA frames split over all seeds").isPositive();
	}

	private EmbeddedChannel client() {
		return channel(false);
	}

	private EmbeddedChannel server() {
		return channel(true);
	}

	private EmbeddedChannel channel(boolean server) {
		this.channel = new EmbeddedChannel(false, false);
		this.channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
		this.channel.pipeline()
			.addLast(Http2FrameAligner.outermost(server, this.demand, this.stats, DataFrames.SLICE_FILLED_READS));
		register(this.channel);
		return this.channel;
	}

	private EmbeddedChannel onSharedBuffers() {
		this.channel = new EmbeddedChannel(false, false);
		this.channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
		this.channel.pipeline().addLast(Http2FrameAligner.outermostOnSharedBuffers(false, this.demand, this.stats));
		register(this.channel);
		return this.channel;
	}

	private static void register(EmbeddedChannel channel) {
		try {
			channel.register();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private ByteBuf read(byte[] bytes, int capacity) {
		ByteBuf buffer = this.pool.directBuffer(Math.max(capacity, bytes.length));
		buffer.writeBytes(bytes);
		return buffer;
	}

	/**
	 * A read buffer as the receive allocator leaves it for adaptive reads: the bytes
	 * after {@link Http2FrameAligner#HEADROOM} free ones.
	 */
	private ByteBuf readWithHeadroom(byte[] bytes, int capacity) {
		ByteBuf buffer = this.pool.directBuffer(capacity, capacity);
		buffer.setIndex(Http2FrameAligner.HEADROOM, Http2FrameAligner.HEADROOM);
		buffer.writeBytes(bytes);
		return buffer;
	}

	/** The HEADERS that open stream 1, read and passed on (and dropped). */
	private void openStreamOne(EmbeddedChannel channel) {
		channel.writeInbound(read(frame(HEADERS, END_HEADERS, 1, new byte[20]), 64));
		drain(channel);
	}

	private static List<byte[]> drain(EmbeddedChannel channel) {
		List<byte[]> out = new ArrayList<>();
		ByteBuf buffer;
		while ((buffer = channel.readInbound()) != null) {
			try {
				out.add(bytes(buffer));
			}
			finally {
				buffer.release();
			}
		}
		return out;
	}

	/**
	 * The streams' frames interleaved at random, each stream's in order; empties
	 * {@code perStream}.
	 */
	static byte[] interleave(List<List<byte[]>> perStream, Random random) {
		ByteArrayOutputStream wire = new ByteArrayOutputStream();
		while (!perStream.isEmpty()) {
			List<byte[]> frames = perStream.get(random.nextInt(perStream.size()));
			wire.writeBytes(frames.remove(0));
			if (frames.isEmpty()) {
				perStream.remove(frames);
			}
		}
		return wire.toByteArray();
	}

	/** A gRPC message: flag 0, the length (4 bytes, big-endian), then the message. */
	static byte[] message(int size, long seed) {
		byte[] body = random(size, seed);
		return concat(new byte[] { 0, (byte) (size >>> 24), (byte) (size >>> 16), (byte) (size >>> 8), (byte) size },
				body);
	}

	/**
	 * The frames of a byte stream, each as {type, flags, length, stream, offset of its
	 * payload}.
	 */
	private static List<int[]> frames(byte[] bytes) {
		List<int[]> frames = new ArrayList<>();
		for (int offset = 0; offset < bytes.length;) {
			int length = ((bytes[offset] & 0xFF) << 16) | ((bytes[offset + 1] & 0xFF) << 8)
					| (bytes[offset + 2] & 0xFF);
			int stream = ByteBuffer.wrap(bytes, offset + 5, 4).getInt() & 0x7FFFFFFF;
			frames.add(new int[] { bytes[offset + 3], bytes[offset + 4] & 0xFF, length, stream, offset + 9 });
			offset += 9 + length;
		}
		return frames;
	}

	/**
	 * Bytes of DATA payload among the first {@code end} bytes of a stream of whole frames
	 * (the frame {@code end} falls in counted up to {@code end}).
	 */
	private static int dataOfPrefix(byte[] wire, int end) {
		int data = 0;
		for (int[] frame : frames(wire)) {
			if (frame[4] - 9 >= end) {
				break;
			}
			if (frame[0] == DATA) {
				data += Math.max(0, Math.min(end, frame[4] + frame[2]) - frame[4]);
			}
		}
		return data;
	}

	/**
	 * The frames of a byte stream after {@code skip} bytes, as text, with DATA frames of
	 * one stream that follow each other joined when the first is neither padded nor ends
	 * the stream (as the aligner may pass one frame on in pieces).
	 */
	private static List<String> joined(byte[] wire, int skip) {
		List<String> out = new ArrayList<>();
		byte[] rest = slice(wire, skip, wire.length);
		int joinable = -1;
		for (int[] frame : frames(rest)) {
			String payload = HexFormat.of().formatHex(rest, frame[4], frame[4] + frame[2]);
			if (frame[0] == DATA && (frame[1] & PADDED) == 0 && joinable == frame[3]) {
				String last = out.remove(out.size() - 1);
				out.add("DATA " + frame[3] + " flags " + frame[1] + " " + last.substring(last.lastIndexOf(' ') + 1)
						+ payload);
			}
			else {
				out.add(((frame[0] == DATA) ? "DATA " : "FRAME " + frame[0] + " ") + frame[3] + " flags " + frame[1]
						+ " " + payload);
			}
			joinable = (frame[0] == DATA && (frame[1] & (PADDED | END_STREAM)) == 0) ? frame[3] : -1;
		}
		return out;
	}

	/** The payloads of the DATA frames of a byte stream, concatenated. */
	private static byte[] dataOf(byte[] wire) {
		ByteArrayOutputStream data = new ByteArrayOutputStream();
		for (int[] frame : frames(wire)) {
			if (frame[0] == DATA) {
				data.writeBytes(slice(wire, frame[4], frame[4] + frame[2]));
			}
		}
		return data.toByteArray();
	}

	/** Every buffer passed on so far, still to be released. */
	private static List<ByteBuf> readAll(EmbeddedChannel channel) {
		List<ByteBuf> out = new ArrayList<>();
		ByteBuf buffer;
		while ((buffer = channel.readInbound()) != null) {
			out.add(buffer);
		}
		return out;
	}

	private static void release(List<ByteBuf> buffers) {
		for (ByteBuf buffer : buffers) {
			if (buffer.refCnt() > 0) {
				buffer.release();
			}
		}
	}

	private static void assertWholeFrames(byte[] piece) {
		int offset = 0;
		while (offset < piece.length) {
			assertThat(piece.length - offset).isGreaterThanOrEqualTo(9);
			int length = ((piece[offset] & 0xFF) << 16) | ((piece[offset + 1] & 0xFF) << 8)
					| (piece[offset + 2] & 0xFF);
			offset += 9 + length;
		}
		assertThat(offset).isEqualTo(piece.length);
	}

	static byte[] frame(byte type, int stream, byte[] payload) {
		return frame(type, 0, stream, payload);
	}

	static byte[] frame(byte type, int flags, int stream, byte[] payload) {
		return frame(type, flags, stream, payload, payload.length);
	}

	/** A frame whose header says {@code length}, whatever the payload given. */
	static byte[] frame(byte type, int flags, int stream, byte[] payload, int length) {
		byte[] frame = new byte[9 + payload.length];
		frame[0] = (byte) (length >>> 16);
		frame[1] = (byte) (length >>> 8);
		frame[2] = (byte) length;
		frame[3] = type;
		frame[4] = (byte) flags;
		frame[5] = (byte) (stream >>> 24);
		frame[6] = (byte) (stream >>> 16);
		frame[7] = (byte) (stream >>> 8);
		frame[8] = (byte) stream;
		System.arraycopy(payload, 0, frame, 9, payload.length);
		return frame;
	}

	private static byte[] bytes(ByteBuf buffer) {
		byte[] bytes = new byte[buffer.readableBytes()];
		buffer.getBytes(buffer.readerIndex(), bytes);
		return bytes;
	}

	private static byte[] random(int length, long seed) {
		byte[] bytes = new byte[length];
		new Random(seed).nextBytes(bytes);
		return bytes;
	}

	private static byte[] slice(byte[] bytes, int from, int to) {
		byte[] slice = new byte[to - from];
		System.arraycopy(bytes, from, slice, 0, slice.length);
		return slice;
	}

	private static byte[] concat(byte[]... parts) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (byte[] part : parts) {
			out.writeBytes(part);
		}
		return out.toByteArray();
	}

}
