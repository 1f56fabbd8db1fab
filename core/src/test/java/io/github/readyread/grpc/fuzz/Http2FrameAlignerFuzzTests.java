package io.github.readyread.grpc.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.github.readyread.grpc.transport.internal.ReadDemand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Differential fuzzing of the HTTP/2 frame aligner against Netty's own frame reader.
 *
 * <p>
 * The stream: frames written by Netty's {@code DefaultHttp2FrameWriter} (DATA and HEADERS
 * with padding, HEADERS long enough for CONTINUATION, SETTINGS, PING, PRIORITY,
 * RST_STREAM, WINDOW_UPDATE, PUSH_PROMISE, GOAWAY with debug data, unknown types) and raw
 * frames of any type, flags, stream and length (also above the 16 KiB maximum), the
 * client preface first on the server side, bytes flipped, raw bytes appended. Split at
 * fuzzer-chosen read boundaries through the aligner into a
 * {@code DefaultHttp2FrameReader} (cumulating as grpc's HTTP/2 handler does), and unsplit
 * into a second reader: both must report the same frame callbacks with the same bytes,
 * and the same errors. Besides: the aligner passes on only whole frames (or a DATA
 * frame's header then exactly its payload) until a frame above the maximum size makes it
 * step aside; what it passed on plus what it holds is what arrived, at every read;
 * nothing stays pinned in the pool. A DATA frame that is not padded goes on as its bytes
 * arrive, one DATA frame per read (the last with its flags), so the stream whole is
 * compared with a DATA frame it ends in cut to what was received.
 *
 * <p>
 * The aligner may pass a DATA frame on as two (to keep the head of an incomplete gRPC
 * message apart) or more (one per read it spans): DATA callbacks of one stream that
 * follow each other, the first neither padded nor ending the stream, are compared joined,
 * and so are such frames in the bytes passed on; each extra piece adds one 9-byte header
 * to them.
 */
class Http2FrameAlignerFuzzTests {

	private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

	private static final int MAX_FRAME_SIZE = Http2FrameAligner.DEFAULT_MAX_FRAME_SIZE;

	private static final ReadPathStats STATS = new ReadPathStats("fuzz");

	/**
	 * Where Netty's frame writer writes the frames of an input; its context also serves
	 * the reference reader.
	 */
	private static final EmbeddedChannel WRITER_CHANNEL = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());

	static {
		WRITER_CHANNEL.config().setAllocator(FuzzPool.ALLOC);
	}

	@FuzzTest(maxDuration = "5m")
	void framesSplitAndMutatedArriveIntactAndInOrder(FuzzedDataProvider data) throws Exception {
		boolean server = data.consumeBoolean();
		byte[] input = stream(server, data);
		List<byte[]> reads = AltsRecordDecoderFuzzTests.splitIntoReads(input, data, 20000);

		// Reference: the whole stream at once into Netty's reader (a DATA frame it ends
		// in cut to the bytes received, as the aligner passes it on).
		byte[] whole = asPassedOn(input, server);
		List<String> expected = new ArrayList<>();
		FrameReading reference = new FrameReading(server, expected);
		reference.read(WRITER_CHANNEL.pipeline().firstContext(), Unpooled.wrappedBuffer(whole));
		reference.release();

		// Ours: the same stream, split, through the aligner into a second reader.
		List<String> actual = new ArrayList<>();
		// Both DATA modes: slices of filled reads (the default in production) and copies
		// (taken last, so the stream and reads of earlier inputs decode as before); then
		// read buffers as the receive allocator leaves them for adaptive reads, with
		// free bytes (here junk) in front, where the aligner writes piece headers.
		boolean slice = data.consumeBoolean();
		boolean headroom = data.consumeBoolean();
		Http2FrameAligner aligner = headroom
				? Http2FrameAligner.outermost(server, new ReadDemand(65536, 9), STATS,
						slice ? DataFrames.SLICE_FILLED_READS : DataFrames.COPY)
				: new Http2FrameAligner(server, MAX_FRAME_SIZE, null, STATS, slice);
		FrameReading reading = new FrameReading(server, actual);
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(FuzzPool.ALLOC);
		channel.pipeline().addLast(aligner, reading);
		int offset = 0;
		for (byte[] read : reads) {
			int free = headroom ? Http2FrameAligner.FRAME_HEADER_LENGTH : 0;
			ByteBuf buffer = FuzzPool.ALLOC.directBuffer(free + read.length);
			buffer.writeBytes(new byte[] { 0x7f, 1, 2, 3, 4, 5, 6, 7, 8 }, 0, free).skipBytes(free);
			channel.writeInbound(buffer.writeBytes(read));
			offset += read.length;
			channel.checkException();
			assertThat(reading.forwarded - Http2FrameAligner.FRAME_HEADER_LENGTH * aligner.splitDataFrames()
					+ aligner.heldBytes())
				.as("bytes passed on (less the headers of split frames) + held")
				.isEqualTo(offset);
		}
		int consumed = offset - aligner.heldBytes();
		assertThat(withDataJoined(reading.passedOn.toByteArray(), server)).as("bytes passed on, in order")
			.isEqualTo(withDataJoined(Arrays.copyOf(whole, consumed), server));
		channel.close();
		channel.finishAndReleaseAll();
		channel.checkException();
		reading.release();
		assertThat(actual).as("frame callbacks and errors, split through the aligner vs whole").isEqualTo(expected);
		FuzzPool.assertNothingHeld(STATS);
	}

	private static byte[] stream(boolean server, FuzzedDataProvider data) throws Exception {
		ByteArrayOutputStream stream = new ByteArrayOutputStream();
		if (server) {
			stream.writeBytes(PREFACE);
		}
		DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
		ChannelHandlerContext ctx = WRITER_CHANNEL.pipeline().firstContext();
		int frames = data.consumeInt(0, 8);
		for (int i = 0; i < frames; i++) {
			int stream1 = data.consumeInt(0, 7);
			switch (data.consumeInt(0, 11)) {
				case 0 -> writer.writeData(ctx, 1 + stream1, Unpooled.wrappedBuffer(payload(data, i)),
						data.consumeInt(0, 256), data.consumeBoolean(), ctx.newPromise());
				case 1 -> writer.writeHeaders(ctx, 1 + stream1, headers(data), data.consumeInt(0, 256),
						data.consumeBoolean(), ctx.newPromise());
				case 2 -> writer.writeHeaders(ctx, 1 + stream1, headers(data), data.consumeInt(0, 7),
						(short) data.consumeInt(1, 256), data.consumeBoolean(), data.consumeInt(0, 256),
						data.consumeBoolean(), ctx.newPromise());
				case 3 -> writer.writeSettings(ctx, settings(data), ctx.newPromise());
				case 4 -> writer.writeSettingsAck(ctx, ctx.newPromise());
				case 5 -> writer.writePing(ctx, data.consumeBoolean(), data.consumeLong(), ctx.newPromise());
				case 6 -> writer.writeGoAway(ctx, stream1, data.consumeInt(0, 15),
						Unpooled.wrappedBuffer(payload(data, i)), ctx.newPromise());
				case 7 -> writer.writeRstStream(ctx, 1 + stream1, data.consumeInt(0, 15), ctx.newPromise());
				case 8 ->
					writer.writeWindowUpdate(ctx, stream1, data.consumeInt(1, Integer.MAX_VALUE), ctx.newPromise());
				case 9 -> writer.writePriority(ctx, 1 + stream1, data.consumeInt(0, 7), (short) data.consumeInt(1, 256),
						data.consumeBoolean(), ctx.newPromise());
				case 10 -> writer.writePushPromise(ctx, 1 + stream1, 2 + 2 * data.consumeInt(0, 3), headers(data),
						data.consumeInt(0, 256), ctx.newPromise());
				default -> writeRawFrame(stream, data, i);
			}
			WRITER_CHANNEL.flush();
			for (ByteBuf out = WRITER_CHANNEL.readOutbound(); out != null; out = WRITER_CHANNEL.readOutbound()) {
				stream.writeBytes(ByteBufUtil.getBytes(out));
				out.release();
			}
		}
		byte[] bytes = stream.toByteArray();
		int mutations = data.consumeInt(0, 3);
		for (int i = 0; i < mutations && bytes.length > 0; i++) {
			bytes[data.consumeInt(0, bytes.length - 1)] ^= data.consumeByte();
		}
		return AltsRecordDecoderFuzzTests.concat(bytes, data.consumeBytes(data.consumeInt(0, 64)));
	}

	/**
	 * The stream as the aligner passes it on if it ends inside a DATA frame that goes on
	 * in pieces as it arrives (not padded, some payload received, no frame above the
	 * maximum size before it): that frame's header then gives the payload bytes received
	 * and does not end the stream.
	 */
	private static byte[] asPassedOn(byte[] bytes, boolean server) {
		int offset = server ? Math.min(PREFACE.length, bytes.length) : 0;
		while (bytes.length - offset >= 9) {
			int length = payloadLength(bytes, offset);
			if (length > MAX_FRAME_SIZE) {
				return bytes;
			}
			int received = bytes.length - offset - 9;
			if (received < length) {
				if (bytes[offset + 3] != 0 || (bytes[offset + 4] & 0x8) != 0 || received == 0) {
					return bytes;
				}
				byte[] cut = bytes.clone();
				cut[offset] = (byte) (received >>> 16);
				cut[offset + 1] = (byte) (received >>> 8);
				cut[offset + 2] = (byte) received;
				cut[offset + 4] &= (byte) ~0x1;
				return cut;
			}
			offset += 9 + length;
		}
		return bytes;
	}

	/**
	 * The frames of a byte stream (after the preface on the server side) until one above
	 * the maximum size or incomplete, as text, with DATA frames of one stream that follow
	 * each other joined when the first is neither padded nor ends the stream; then the
	 * rest, raw.
	 */
	private static List<String> withDataJoined(byte[] bytes, boolean server) {
		List<String> frames = new ArrayList<>();
		int offset = 0;
		if (server) {
			offset = Math.min(PREFACE.length, bytes.length);
			frames.add(ByteBufUtil.hexDump(bytes, 0, offset));
		}
		int joinable = -1;
		while (bytes.length - offset >= 9) {
			int length = payloadLength(bytes, offset);
			if (length > MAX_FRAME_SIZE || bytes.length - offset - 9 < length) {
				break;
			}
			byte type = bytes[offset + 3];
			int flags = bytes[offset + 4] & 0xFF;
			int stream = ((bytes[offset + 5] & 0x7F) << 24) | ((bytes[offset + 6] & 0xFF) << 16)
					| ((bytes[offset + 7] & 0xFF) << 8) | (bytes[offset + 8] & 0xFF);
			String payload = ByteBufUtil.hexDump(bytes, offset + 9, length);
			boolean unpadded = (flags & 0x8) == 0;
			if (type == 0 && unpadded && joinable == stream) {
				String last = frames.remove(frames.size() - 1);
				frames.add("DATA " + stream + " flags " + flags + " " + last.substring(last.lastIndexOf(' ') + 1)
						+ payload);
			}
			else {
				frames
					.add(((type == 0) ? "DATA " : "FRAME " + type + " ") + stream + " flags " + flags + " " + payload);
			}
			joinable = (type == 0 && unpadded && (flags & 0x1) == 0) ? stream : -1;
			offset += 9 + length;
		}
		frames.add(ByteBufUtil.hexDump(bytes, offset, bytes.length - offset));
		return frames;
	}

	/** The payload length in the frame header at {@code offset}. */
	private static int payloadLength(byte[] bytes, int offset) {
		return ((bytes[offset] & 0xFF) << 16) | ((bytes[offset + 1] & 0xFF) << 8) | (bytes[offset + 2] & 0xFF);
	}

	/** A frame header of any type, flags and length, then a payload of that length. */
	private static void writeRawFrame(ByteArrayOutputStream stream, FuzzedDataProvider data, int i) {
		int length = data.pickValue(new int[] { 0, 1, 8, 100, 16383, 16384, 16385, 70000 });
		length = Math.min(length, 20000 + data.consumeInt(0, 60000));
		stream.write((length >>> 16) & 0xFF);
		stream.write((length >>> 8) & 0xFF);
		stream.write(length & 0xFF);
		stream.write(data.consumeBoolean() ? data.consumeInt(0, 10) : data.consumeByte());
		stream.write(data.consumeByte());
		stream.writeBytes(new byte[] { 0, 0, 0, (byte) data.consumeInt(0, 7) });
		byte[] payload = new byte[length];
		byte[] head = data.consumeBytes(Math.min(length, 32));
		System.arraycopy(head, 0, payload, 0, head.length);
		Arrays.fill(payload, head.length, length, (byte) i);
		stream.writeBytes(payload);
	}

	/** Fuzzer bytes, sometimes followed by filler up to around the maximum frame size. */
	private static byte[] payload(FuzzedDataProvider data, int i) {
		byte[] head = data.consumeBytes(data.consumeInt(0, 64));
		int length = data.consumeBoolean() ? head.length : data.pickValue(new int[] { 16000, 16383, 16384, 40000 });
		byte[] payload = Arrays.copyOf(head, Math.max(length, head.length));
		Arrays.fill(payload, head.length, payload.length, (byte) i);
		return payload;
	}

	private static Http2Headers headers(FuzzedDataProvider data) {
		Http2Headers headers = new DefaultHttp2Headers(false);
		int count = data.consumeInt(0, 4);
		for (int i = 0; i < count; i++) {
			String name = data.consumeBoolean() ? data.pickValue(
					new String[] { ":path", ":method", "content-type", "grpc-status", "te", ":authority", "x-large" })
					: data.consumeAsciiString(16);
			String value = data.consumeBoolean() ? data.consumeAsciiString(32) : "v".repeat(data.consumeInt(0, 20000));
			if (!name.isEmpty()) {
				headers.add(name, value);
			}
		}
		return headers;
	}

	private static Http2Settings settings(FuzzedDataProvider data) {
		Http2Settings settings = new Http2Settings();
		int count = data.consumeInt(0, 3);
		for (int i = 0; i < count; i++) {
			char id = (char) data.consumeInt(1, 8);
			long value = switch (id) {
				case 2, 8 -> data.consumeInt(0, 1);
				case 5 -> data.consumeInt(16384, 0xFFFFFF);
				default -> data.consumeInt(0, Integer.MAX_VALUE);
			};
			try {
				settings.put(id, Long.valueOf(value));
			}
			catch (IllegalArgumentException ex) {
				// out of the setting's range: the writer cannot write it
			}
		}
		return settings;
	}

	/**
	 * Reads frames as grpc's HTTP/2 handler does: cumulates what arrives and lets Netty's
	 * frame reader take whole frames out of it; records every callback and error. As a
	 * handler it also checks the alignment of what the aligner passes on.
	 */
	static final class FrameReading extends ChannelInboundHandlerAdapter {

		private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(true);

		private final List<String> events;

		private final Recorder recorder;

		private final ByteBuf cumulation = Unpooled.buffer();

		private final ByteArrayOutputStream passedOn = new ByteArrayOutputStream();

		private long forwarded;

		private boolean prefacePending;

		private int payloadPending = -1;

		private boolean steppedAside;

		private boolean failed;

		FrameReading(boolean server, List<String> events) {
			this.prefacePending = server;
			this.events = events;
			this.recorder = new Recorder(events);
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			ByteBuf buf = (ByteBuf) msg;
			try {
				this.forwarded += buf.readableBytes();
				this.passedOn.writeBytes(ByteBufUtil.getBytes(buf));
				checkAligned(buf);
				read(ctx, buf);
			}
			finally {
				buf.release();
			}
		}

		/** Reads the frames {@code in} completes; consumes it. */
		void read(ChannelHandlerContext ctx, ByteBuf in) {
			if (this.failed) {
				in.skipBytes(in.readableBytes());
				return;
			}
			this.cumulation.writeBytes(in);
			if (this.prefacePending) {
				if (this.cumulation.readableBytes() < PREFACE.length) {
					return;
				}
				this.prefacePending = false;
				if (!ByteBufUtil.equals(this.cumulation.readSlice(PREFACE.length), Unpooled.wrappedBuffer(PREFACE))) {
					this.events.add("ERROR not the client preface");
					this.failed = true;
					return;
				}
			}
			while (this.cumulation.isReadable()) {
				int before = this.cumulation.readableBytes();
				try {
					this.reader.readFrame(ctx, this.cumulation, this.recorder);
				}
				catch (Http2Exception ex) {
					this.events.add("ERROR " + ex.getClass().getSimpleName() + " " + ex.error() + " "
							+ ((ex instanceof Http2Exception.StreamException stream) ? stream.streamId() : "")
							+ withoutBuffers(ex.getMessage()));
					if (!Http2Exception.isStreamError(ex)) {
						this.failed = true;
						return;
					}
				}
				if (this.cumulation.readableBytes() == before) {
					break;
				}
			}
			this.cumulation.discardReadBytes();
		}

		/** An error message without the buffer indexes Netty's reader puts in some. */
		private static String withoutBuffers(String message) {
			int buffer = (message != null) ? message.indexOf("ByteBuf(") : -1;
			return (buffer < 0) ? message : message.substring(0, message.lastIndexOf(' ', buffer) + 1);
		}

		/**
		 * Whole frames only, or a DATA frame's 9-byte header and then exactly its
		 * payload, until a frame above the maximum size (from which on anything goes).
		 */
		private void checkAligned(ByteBuf buf) {
			if (this.steppedAside) {
				return;
			}
			int length = buf.readableBytes();
			if (this.prefacePending) {
				assertThat(length).as("preface passed on in one piece").isEqualTo(PREFACE.length);
				return;
			}
			if (this.payloadPending >= 0) {
				assertThat(length).as("DATA payload after its header").isEqualTo(this.payloadPending);
				this.payloadPending = -1;
				return;
			}
			int position = buf.readerIndex();
			int end = position + length;
			while (position < end) {
				assertThat(end - position).as("a whole frame header").isGreaterThanOrEqualTo(9);
				int payload = buf.getUnsignedMedium(position);
				if (payload > MAX_FRAME_SIZE) {
					this.steppedAside = true;
					return;
				}
				if (end - position == 9 && buf.getByte(position + 3) == 0 && payload > 0) {
					this.payloadPending = payload;
					return;
				}
				assertThat(end - position).as("a whole frame").isGreaterThanOrEqualTo(9 + payload);
				position += 9 + payload;
			}
		}

		void release() {
			this.cumulation.release();
			this.reader.close();
		}

	}

	/**
	 * Writes every frame callback down, with its bytes; a DATA callback right after one
	 * of the same stream that was neither padded nor ended it is joined to it.
	 */
	private static final class Recorder implements Http2FrameListener {

		private final List<String> events;

		private final CRC32C dataCrc = new CRC32C();

		/** Where the joinable DATA event is in {@link #events}, or -1. */
		private int joinableIndex = -1;

		private int joinableStream;

		private long dataLength;

		Recorder(List<String> events) {
			this.events = events;
		}

		/** Length and CRC-32C of the readable bytes: cheaper than writing them out. */
		private static String bytes(ByteBuf buf) {
			CRC32C crc = new CRC32C();
			crc.update(buf.nioBuffer());
			return buf.readableBytes() + " bytes, crc " + Long.toHexString(crc.getValue());
		}

		@Override
		public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
			boolean join = padding == 0 && this.joinableIndex == this.events.size() - 1
					&& this.joinableStream == streamId;
			if (join) {
				this.events.remove(this.joinableIndex);
			}
			else {
				this.dataCrc.reset();
				this.dataLength = 0;
			}
			this.dataCrc.update(data.nioBuffer());
			this.dataLength += data.readableBytes();
			this.events.add("DATA " + streamId + " pad " + padding + " end " + endOfStream + " " + this.dataLength
					+ " bytes, crc " + Long.toHexString(this.dataCrc.getValue()));
			this.joinableIndex = (padding == 0 && !endOfStream) ? this.events.size() - 1 : -1;
			this.joinableStream = streamId;
			return data.readableBytes() + padding;
		}

		@Override
		public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
				boolean endOfStream) {
			this.events.add("HEADERS " + streamId + " pad " + padding + " end " + endOfStream + " " + headers);
		}

		@Override
		public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
				short weight, boolean exclusive, int padding, boolean endOfStream) {
			this.events.add("HEADERS " + streamId + " dep " + streamDependency + " weight " + weight + " exclusive "
					+ exclusive + " pad " + padding + " end " + endOfStream + " " + headers);
		}

		@Override
		public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
				boolean exclusive) {
			this.events.add("PRIORITY " + streamId + " " + streamDependency + " " + weight + " " + exclusive);
		}

		@Override
		public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
			this.events.add("RST_STREAM " + streamId + " " + errorCode);
		}

		@Override
		public void onSettingsAckRead(ChannelHandlerContext ctx) {
			this.events.add("SETTINGS ACK");
		}

		@Override
		public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
			this.events.add("SETTINGS " + settings);
		}

		@Override
		public void onPingRead(ChannelHandlerContext ctx, long data) {
			this.events.add("PING " + data);
		}

		@Override
		public void onPingAckRead(ChannelHandlerContext ctx, long data) {
			this.events.add("PING ACK " + data);
		}

		@Override
		public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId,
				Http2Headers headers, int padding) {
			this.events.add("PUSH_PROMISE " + streamId + " " + promisedStreamId + " pad " + padding + " " + headers);
		}

		@Override
		public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
			this.events.add("GOAWAY " + lastStreamId + " " + errorCode + " " + bytes(debugData));
		}

		@Override
		public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
			this.events.add("WINDOW_UPDATE " + streamId + " " + windowSizeIncrement);
		}

		@Override
		public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
				ByteBuf payload) {
			this.events.add("UNKNOWN " + frameType + " " + streamId + " " + flags + " " + bytes(payload));
		}

	}

}
