package io.github.readyread.grpc.transport;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

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

	private static final byte SETTINGS = 4;

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
		EmbeddedChannel channel = client();
		byte[] payload = random(16384, 1);
		byte[] frame = frame(DATA, 1, payload);
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
		assertThat(out.get(0)).hasSize(9);
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(demand.missingBytes()).isEqualTo(9);
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
	void aDataFrameThatFillsMostOfItsReadBufferGoesOnInACopy() {
		// Adaptive reads take buffers of any size from 1 KiB up: gRPC keeps DATA until
		// its message is whole, so a DATA frame must never keep the read buffer around
		// it, whatever share of it the frame covers.
		EmbeddedChannel channel = client();
		byte[] frame = frame(DATA, 1, random(16000, 3));
		ByteBuf read = read(frame, 16393);
		channel.writeInbound(read);
		ByteBuf header = channel.readInbound();
		ByteBuf data = channel.readInbound();
		try {
			assertThat(bytes(header)).isEqualTo(slice(frame, 0, 9));
			// gRPC's frame reader is done with the header within the read.
			header.release();
			assertThat(read.refCnt()).as("read buffer references once the header is read").isZero();
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
		assertThat(out).isEqualTo(all);
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
		assertThat(concat(pieces.toArray(new byte[0][]))).isEqualTo(all);
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
		channel.writeInbound(read(slice(frame(DATA, 1, random(5000, 6)), 0, 3000), 4096));
		assertThat(this.stats.incompleteBytes()).isEqualTo(3000 - 9);
		channel.close();
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void behindARecordDecoderItAlignsWithoutADemand() {
		this.channel = new EmbeddedChannel(false, false);
		this.channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
		this.channel.pipeline().addLast(Http2FrameAligner.behindRecordDecoder(false, this.stats));
		register(this.channel);
		this.channel.writeInbound(read(slice(frame(DATA, 1, random(5000, 7)), 0, 3000), 4096));
		assertThat(this.stats.incompleteBytes()).isEqualTo(3000 - 9);
		// The demand is the record decoder's: this one was never given it.
		assertThat(this.demand.missingBytes()).isEqualTo(1);
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
		this.channel.pipeline().addLast(Http2FrameAligner.outermost(server, this.demand, this.stats));
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
		byte[] frame = new byte[9 + payload.length];
		frame[0] = (byte) (payload.length >>> 16);
		frame[1] = (byte) (payload.length >>> 8);
		frame[2] = (byte) payload.length;
		frame[3] = type;
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
