package io.github.readyread.grpc.alts.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.github.readyread.grpc.Buffers;
import io.github.readyread.grpc.CountingAllocator;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.github.readyread.grpc.transport.internal.ReadDemand;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.internal.StockAltsRecords;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link AltsRecordDecoder} and {@link AltsRecordEncoder} on an
 * {@link EmbeddedChannel}, against grpc-java's own frame protector.
 */
class AltsRecordLayerTests {

	private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);

	private final ReadPathStats stats = new ReadPathStats("test");

	private final Random random = new Random(7);

	private final byte[] key = bytes(AltsProtocol.KEY_LENGTH);

	private final List<EmbeddedChannel> channels = new ArrayList<>();

	@AfterEach
	void everythingReleased() {
		for (EmbeddedChannel channel : this.channels) {
			channel.finishAndReleaseAll();
		}
		this.alloc.trimCurrentThreadCache();
		assertThat(this.alloc.pinnedDirectMemory()).isZero();
		assertThat(this.alloc.pinnedHeapMemory()).isZero();
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
	}

	@Test
	void decodesGrpcJavaFramesDeliveredWholeOrByteByByte() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] plaintext = bytes(50_000);
		byte[] frames = stock.protect(plaintext);
		assertThat(frames.length).isGreaterThan(3 * AltsFrameSizes.DEFAULT);
		EmbeddedChannel channel = decoderChannel();
		ByteBuf whole = this.alloc.directBuffer(frames.length).writeBytes(frames);
		channel.writeInbound(whole);
		assertThat(whole.refCnt()).isZero();
		assertThat(readAll(channel)).isEqualTo(plaintext);

		byte[] more = bytes(20_000);
		byte[] moreFrames = stock.protect(more);
		for (byte b : moreFrames) {
			channel.writeInbound(this.alloc.directBuffer(1).writeByte(b));
		}
		assertThat(readAll(channel)).isEqualTo(more);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void theRecordsOfACompositeReadGoOnAsOneBufferOfTheirPlaintextsSize() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] first = bytes(3000);
		byte[] second = bytes(7);
		byte[] a = stock.protect(first);
		byte[] b = stock.protect(second);
		EmbeddedChannel channel = decoderChannel();
		io.netty.buffer.CompositeByteBuf read = this.alloc.compositeDirectBuffer();
		read.addComponent(true, this.alloc.directBuffer().writeBytes(a, 0, 1000));
		read.addComponent(true, this.alloc.directBuffer().writeBytes(a, 1000, a.length - 1000).writeBytes(b));
		channel.writeInbound(read);
		assertThat(read.refCnt()).isZero();
		assertOnePlaintext(channel, concat(first, second), Http2FrameAligner.HEADROOM + first.length + second.length);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void theWholeRecordsOfOneReadGoOnAsOnePlaintextBufferOfTheirSize() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] plaintext = bytes(40_000);
		byte[] frames = stock.protect(plaintext);
		EmbeddedChannel channel = decoderChannel();
		channel.writeInbound(this.alloc.directBuffer(frames.length).writeBytes(frames));
		// Three records: an HTTP/2 frame that crosses a record boundary stays whole.
		assertOnePlaintext(channel, plaintext, Http2FrameAligner.HEADROOM + plaintext.length);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void forGrpcsOwnHttp2DecoderEachRecordGoesOnInABufferOfItsPlaintextsSize() throws Exception {
		// The conventional read path: gRPC's decoder keeps slices of what it is given, so
		// a buffer holding a read's records would be kept for any one of them.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] plaintext = bytes(40_000);
		byte[] frames = stock.protect(plaintext);
		EmbeddedChannel channel = newChannel();
		channel.pipeline()
			.addLast(new AltsRecordDecoder(AltsCrypter.forReceiving(this.key, false), null, this.stats, false));
		channel.writeInbound(this.alloc.directBuffer(1000).writeBytes(frames, 0, 1000));
		channel.writeInbound(this.alloc.directBuffer().writeBytes(frames, 1000, frames.length - 1000));
		List<Integer> capacities = new ArrayList<>();
		ByteBuf all = Unpooled.buffer();
		for (ByteBuf one = channel.readInbound(); one != null; one = channel.readInbound()) {
			capacities.add(one.capacity());
			all.writeBytes(one);
			one.release();
		}
		assertThat(ByteBufUtil.getBytes(all)).isEqualTo(plaintext);
		all.release();
		// The first was completed by the second read and decrypted in place in the copy
		// of its bytes (its tag's 16 bytes stay).
		assertThat(capacities).containsExactly(16360 + AltsCrypter.TAG_LENGTH, 16360, 40_000 - 2 * 16360);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void aRecordCompletedByAReadGoesOnWithTheWholeRecordsAfterIt() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] plaintext = bytes(40_000);
		byte[] frames = stock.protect(plaintext);
		byte[] next = bytes(100);
		byte[] nextFrame = stock.protect(next);
		EmbeddedChannel channel = decoderChannel();
		channel.writeInbound(this.alloc.directBuffer(1000).writeBytes(frames, 0, 1000));
		assertThat((Object) channel.readInbound()).isNull();
		channel.writeInbound(
				this.alloc.directBuffer().writeBytes(frames, 1000, frames.length - 1000).writeBytes(nextFrame, 0, 50));
		assertOnePlaintext(channel, plaintext, Http2FrameAligner.HEADROOM + plaintext.length);
		channel.writeInbound(this.alloc.directBuffer().writeBytes(nextFrame, 50, nextFrame.length - 50));
		// Alone, decrypted in place in the copy of its bytes: its tag's 16 bytes stay.
		assertOnePlaintext(channel, next, next.length + AltsCrypter.TAG_LENGTH);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void theRecordsBeforeOneThatFailsAuthenticationStillGoOn() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] first = bytes(1000);
		byte[] a = stock.protect(first);
		byte[] b = stock.protect(bytes(1000));
		b[b.length - 1] ^= 0x40;
		EmbeddedChannel channel = decoderChannel();
		assertFailed(channel, () -> channel.writeInbound(this.alloc.directBuffer().writeBytes(a).writeBytes(b)),
				Status.Code.INTERNAL, "ALTS record authentication failed (frame of length 1020)");
		assertThat(readAll(channel)).isEqualTo(first);
		stock.destroy();
	}

	@Test
	void behindTheRecordDecoderADataFrameCoveringMostOfTheReadsPlaintextGoesOnAsASliceOfIt() throws Exception {
		// A DATA frame that crosses from one record into the next is whole in the
		// plaintext of the read, which it fills: it goes on in a slice of that plaintext
		// with the frames around it (no copy), as in grpc-alts.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] payload = bytes(16384);
		byte[] plaintext = dataThenPing(payload);
		byte[] records = stock.protect(plaintext);
		EmbeddedChannel channel = decoderAndAlignerChannel();
		channel.writeInbound(this.alloc.directBuffer(records.length).writeBytes(records));
		ByteBuf whole = channel.readInbound();
		try {
			assertThat((Object) channel.readInbound()).as("one piece: DATA and PING frames").isNull();
			assertThat(ByteBufUtil.getBytes(whole)).isEqualTo(plaintext);
			assertThat(Buffers.root(whole).capacity()).as("capacity of the buffer holding the payload")
				.isEqualTo(Http2FrameAligner.HEADROOM + plaintext.length);
		}
		finally {
			whole.release();
		}
		channel.checkException();
		stock.destroy();
	}

	@Test
	void behindTheRecordDecoderADataFrameCoveringLittleOfTheReadsPlaintextIsCopiedAtItsSize() throws Exception {
		// gRPC keeps DATA buffers until their message is complete: a DATA frame that
		// covers less than three quarters of the read's plaintext (here behind a 12,000
		// byte HEADERS frame) gets a copy of its own, not a slice of that plaintext.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] payload = bytes(4000);
		ByteBuf frames = Unpooled.buffer();
		frames.writeMedium(12000).writeByte(1).writeByte(0).writeInt(1).writeZero(12000);
		byte[] plaintext = concat(ByteBufUtil.getBytes(frames), dataThenPing(payload));
		frames.release();
		byte[] records = stock.protect(plaintext);
		EmbeddedChannel channel = decoderAndAlignerChannel();
		channel.writeInbound(this.alloc.directBuffer(records.length).writeBytes(records));
		ByteBuf headers = channel.readInbound();
		int headerBytes = headers.readableBytes();
		headers.release();
		assertThat(headerBytes).as("bytes passed on before the payload: HEADERS and the DATA frame's header")
			.isEqualTo(12009 + 9);
		ByteBuf data = channel.readInbound();
		try {
			assertThat(Buffers.root(data).capacity()).as("capacity of the buffer holding the payload")
				.isEqualTo(payload.length);
			assertThat(ByteBufUtil.getBytes(data)).isEqualTo(payload);
		}
		finally {
			data.release();
		}
		ByteBuf ping = channel.readInbound();
		assertThat(ping.readableBytes()).isEqualTo(17);
		ping.release();
		channel.checkException();
		stock.destroy();
	}

	/** A DATA frame of {@code payload} on stream 1, then a PING frame. */
	@Test
	void behindTheRecordDecoderTheNextPieceOfADataFrameTakesItsHeaderInFrontOfTheReadsPlaintextAndGoesOnInOneSlice()
			throws Exception {
		// A DATA frame that spans reads goes on in pieces. The piece a later read brings
		// gets its header in the free bytes the record decoder leaves in front of the
		// read's plaintext, so it goes on with the frames after it in one slice of that
		// plaintext, as a read's frames do on a plaintext connection.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] payload = bytes(16384);
		byte[] plaintext = dataThenPing(payload);
		int head = 6000;
		byte[] firstRead = stock.protect(Arrays.copyOf(plaintext, 9 + head));
		byte[] secondRead = stock.protect(Arrays.copyOfRange(plaintext, 9 + head, plaintext.length));
		EmbeddedChannel channel = decoderAndAlignerChannel();
		channel.writeInbound(this.alloc.directBuffer(firstRead.length).writeBytes(firstRead));
		ByteBuf headPiece = channel.readInbound();
		headPiece.release();
		channel.writeInbound(this.alloc.directBuffer(secondRead.length).writeBytes(secondRead));
		ByteBuf rest = channel.readInbound();
		try {
			assertThat((Object) channel.readInbound()).as("one piece: the rest of the DATA frame and the PING")
				.isNull();
			byte[] restOfFrame = Arrays.copyOfRange(plaintext, 9 + head, plaintext.length);
			ByteBuf header = Unpooled.buffer().writeMedium(payload.length - head).writeByte(0).writeByte(0).writeInt(1);
			byte[] expected = concat(ByteBufUtil.getBytes(header), restOfFrame);
			header.release();
			assertThat(ByteBufUtil.getBytes(rest)).isEqualTo(expected);
			assertThat(Buffers.root(rest).capacity()).as("the read's plaintext buffer")
				.isEqualTo(Http2FrameAligner.HEADROOM + restOfFrame.length);
		}
		finally {
			rest.release();
		}
		channel.checkException();
		stock.destroy();
	}

	private static byte[] dataThenPing(byte[] payload) {
		ByteBuf frames = Unpooled.buffer();
		frames.writeMedium(payload.length).writeByte(0).writeByte(0).writeInt(1).writeBytes(payload);
		frames.writeMedium(8).writeByte(6).writeByte(0).writeInt(0).writeLong(42);
		byte[] bytes = ByteBufUtil.getBytes(frames);
		frames.release();
		return bytes;
	}

	private void assertOnePlaintext(EmbeddedChannel channel, byte[] plaintext, int capacity) {
		ByteBuf one = channel.readInbound();
		try {
			assertThat(one.capacity()).isEqualTo(capacity);
			assertThat(ByteBufUtil.getBytes(one)).isEqualTo(plaintext);
		}
		finally {
			one.release();
		}
		assertThat((Object) channel.readInbound()).isNull();
	}

	@Test
	void aReadThatEndsBetweenTheLengthAndTheTypeOfAHeaderLosesNoFrame() throws Exception {
		// io_uring ring buffers cut reads anywhere: here after the 4-byte length of the
		// second record's header and 1 byte of its type, after a record of another size.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] first = bytes(3000);
		byte[] second = bytes(7);
		byte[] a = stock.protect(first);
		byte[] b = stock.protect(second);
		EmbeddedChannel channel = decoderChannel();
		channel.writeInbound(this.alloc.directBuffer().writeBytes(a).writeBytes(b, 0, 5));
		channel.writeInbound(this.alloc.directBuffer().writeBytes(b, 5, b.length - 5));
		assertThat(readAll(channel)).isEqualTo(concat(first, second));
		assertThat(this.stats.incompleteBytes()).isZero();
		channel.checkException();
		stock.destroy();
	}

	@Test
	void incompleteFrameKeepsOnlyItsOwnBytesAndTheReadBufferIsReleased() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] frame = stock.protect(bytes(10_000));
		ReadDemand demand = new ReadDemand(65536, 1024);
		EmbeddedChannel channel = decoderChannel(demand);
		// A big read buffer carrying the header and 1000 bytes of the frame.
		ByteBuf read = this.alloc.directBuffer(65536).writeBytes(frame, 0, 1008);
		channel.writeInbound(read);
		assertThat(read.refCnt()).isZero();
		assertThat((Object) channel.readInbound()).isNull();
		assertThat(this.stats.incompleteBytes()).isEqualTo(1000);
		assertThat(this.stats.incompletePinnedBytes()).isLessThan(2048);
		int missing = frame.length - 1008;
		assertThat(demand.missingBytes()).isEqualTo(missing);
		assertThat(demand.readSize()).isEqualTo(missing + AltsRecordDecoder.HEADER_BYTES);
		channel.writeInbound(this.alloc.directBuffer(missing).writeBytes(frame, 1008, missing));
		assertThat(this.stats.incompleteBytes()).isZero();
		ByteBuf plaintext = channel.readInbound();
		assertThat(plaintext.readableBytes()).isEqualTo(10_000);
		plaintext.release();
		assertThat(demand.missingBytes()).isEqualTo(AltsRecordDecoder.HEADER_BYTES);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void encoderFramesAreReadableByGrpcJavaAndBatchUntilFlush() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, false, AltsFrameSizes.MAX);
		EmbeddedChannel channel = newChannel();
		channel.pipeline().addLast(new AltsRecordEncoder(AltsCrypter.forSending(this.key, true), AltsFrameSizes.MAX));
		byte[] a = bytes(100);
		byte[] b = bytes(300_000);
		ChannelFuture first = channel.write(this.alloc.buffer().writeBytes(a));
		ChannelFuture second = channel.write(this.alloc.buffer().writeBytes(b));
		assertThat((Object) channel.readOutbound()).isNull();
		assertThat(first.isDone()).isFalse();
		channel.flush();
		assertThat(first.isSuccess()).isTrue();
		assertThat(second.isSuccess()).isTrue();
		ByteBuf all = Unpooled.buffer();
		ByteBuf frame;
		int frames = 0;
		while ((frame = channel.readOutbound()) != null) {
			assertThat(frame.readableBytes()).isLessThanOrEqualTo(AltsFrameSizes.MAX);
			all.writeBytes(frame);
			frame.release();
			frames++;
		}
		assertThat(frames).isEqualTo(3);
		byte[] expected = new byte[a.length + b.length];
		System.arraycopy(a, 0, expected, 0, a.length);
		System.arraycopy(b, 0, expected, a.length, b.length);
		assertThat(stock.unprotect(ByteBufUtil.getBytes(all))).isEqualTo(expected);
		all.release();
		stock.destroy();
	}

	@Test
	void encoderSealsRecordsFromWritesOfEveryKind() throws Exception {
		// A record whose plaintext is one region of one direct write is sealed from it;
		// any other is gathered first. Either way grpc-java reads the records, every
		// write completes and nothing stays pinned (everythingReleased).
		StockAltsRecords stock = new StockAltsRecords(this.key, false, AltsFrameSizes.MAX);
		EmbeddedChannel channel = newChannel();
		channel.pipeline().addLast(new AltsRecordEncoder(AltsCrypter.forSending(this.key, true), AltsFrameSizes.MAX));
		byte[] large = bytes(2 * AltsFrameSizes.MAX + 1_000);
		byte[] onHeap = bytes(5_000);
		byte[] split = bytes(3_000);
		byte[] small = bytes(10);
		List<ChannelFuture> writes = new ArrayList<>();
		writes.add(channel.write(this.alloc.directBuffer().writeBytes(large)));
		writes.add(channel.write(Unpooled.wrappedBuffer(onHeap)));
		writes.add(channel.write(this.alloc.directBuffer(0)));
		writes.add(channel.write(Unpooled.compositeBuffer()
			.addComponent(true, this.alloc.directBuffer().writeBytes(split, 0, 1_000))
			.addComponent(true, this.alloc.directBuffer().writeBytes(split, 1_000, 2_000))));
		writes.add(channel.write(this.alloc.directBuffer().writeBytes(small)));
		channel.flush();
		assertThat(writes).allMatch(ChannelFuture::isSuccess);
		ByteBuf all = Unpooled.buffer();
		ByteBuf frame;
		int frames = 0;
		while ((frame = channel.readOutbound()) != null) {
			all.writeBytes(frame);
			frame.release();
			frames++;
		}
		// Two whole records of the large write, then its rest with everything after it.
		assertThat(frames).isEqualTo(3);
		ByteBuf expected = Unpooled.buffer().writeBytes(large).writeBytes(onHeap).writeBytes(split).writeBytes(small);
		assertThat(stock.unprotect(ByteBufUtil.getBytes(all))).isEqualTo(ByteBufUtil.getBytes(expected));
		all.release();
		expected.release();
		stock.destroy();
	}

	@Test
	void queuedPlaintextCountsTowardsTheChannelsWritabilityUntilItIsProtected() {
		// As in grpc-java's TsiFrameHandler: HTTP/2's flow controller stops handing over
		// DATA once a write buffer's worth waits here, so a large message is protected
		// and sent in passes instead of as one whole window.
		EmbeddedChannel channel = newChannel();
		channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8 * 1024, 16 * 1024));
		channel.pipeline().addLast(new AltsRecordEncoder(AltsCrypter.forSending(this.key, true), AltsFrameSizes.MAX));
		channel.write(this.alloc.buffer().writeBytes(bytes(10_000)));
		assertThat(channel.isWritable()).isTrue();
		channel.write(this.alloc.buffer().writeBytes(bytes(10_000)));
		assertThat(channel.isWritable()).isFalse();
		assertThat(channel.unsafe().outboundBuffer().totalPendingWriteBytes()).isGreaterThanOrEqualTo(20_000);
		channel.flush();
		assertThat(channel.isWritable()).isTrue();
		assertThat(channel.unsafe().outboundBuffer().totalPendingWriteBytes()).isZero();
		ByteBuf frame;
		while ((frame = channel.readOutbound()) != null) {
			frame.release();
		}
		// Writes failed when the encoder is removed leave no count behind either.
		channel.write(this.alloc.buffer().writeBytes(bytes(20_000)));
		assertThat(channel.isWritable()).isFalse();
		channel.pipeline().remove(AltsRecordEncoder.class);
		assertThat(channel.isWritable()).isTrue();
	}

	@Test
	void encoderReleasesQueuedWritesOnClose() {
		EmbeddedChannel channel = newChannel();
		channel.pipeline().addLast(new AltsRecordEncoder(AltsCrypter.forSending(this.key, true), AltsFrameSizes.MAX));
		ByteBuf queued = this.alloc.buffer().writeBytes(bytes(10));
		ChannelFuture write = channel.write(queued);
		channel.close();
		assertThat(queued.refCnt()).isZero();
		assertThat(write.cause()).isInstanceOf(java.nio.channels.ClosedChannelException.class);
	}

	@Test
	void aForgedRecordCompletedByAReadStopsDecodingTheRestOfThatRead() throws Exception {
		// The read that completes the forged record ends inside the next one: the forged
		// record is decrypted at the end of the read, and nothing of the next one may be
		// held for the failed connection.
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] forged = stock.protect(bytes(1000));
		forged[forged.length - 1] ^= 0x40;
		byte[] next = stock.protect(bytes(1000));
		EmbeddedChannel channel = decoderChannel();
		channel.writeInbound(this.alloc.directBuffer().writeBytes(forged, 0, 500));
		long held = this.stats.framesHeldIncomplete();
		ByteBuf read = this.alloc.directBuffer().writeBytes(forged, 500, forged.length - 500).writeBytes(next, 0, 100);
		assertFailed(channel, () -> channel.writeInbound(read), Status.Code.INTERNAL,
				"ALTS record authentication failed (frame of length 1020)");
		assertThat(read.refCnt()).isZero();
		// The close releases whatever is held a moment later; holding the next record's
		// head at all, after the failure, is the defect.
		assertThat(this.stats.framesHeldIncomplete()).as("frames held incomplete after the forged record")
			.isEqualTo(held);
		assertThat(this.stats.incompletePinnedBytes()).as("pool bytes held for the record after the forged one")
			.isZero();
		assertThat((Object) channel.readInbound()).isNull();
		stock.destroy();
	}

	@Test
	void corruptedTagFailsTheConnection() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] frame = stock.protect(bytes(1000));
		frame[frame.length - 1] ^= 0x40;
		EmbeddedChannel channel = decoderChannel();
		assertFailed(channel, () -> channel.writeInbound(this.alloc.directBuffer().writeBytes(frame)),
				Status.Code.INTERNAL, "ALTS record authentication failed (frame of length 1020)");
		stock.destroy();
	}

	@Test
	void recordsUpToTheOneMebibyteLimitAreAcceptedWhateverFrameSizeThisSideResolved() throws Exception {
		// The peer's handshaker resolved 128 KiB frames, ours 16 KiB: grpc-java and
		// C-core accept any record up to 1 MiB, and so must we.
		EmbeddedChannel channel = decoderChannel();
		EmbeddedChannel encoder = newChannel();
		encoder.pipeline().addLast(new AltsRecordEncoder(AltsCrypter.forSending(this.key, true), AltsFrameSizes.MAX));
		byte[] ours = bytes(300_000);
		encoder.writeAndFlush(this.alloc.buffer().writeBytes(ours));
		ByteBuf frame;
		while ((frame = encoder.readOutbound()) != null) {
			channel.writeInbound(frame);
		}
		assertThat(readAll(channel)).isEqualTo(ours);

		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.MAX);
		stock.skipSentRecords(3);
		byte[] theirs = bytes(200_000);
		channel.writeInbound(this.alloc.directBuffer().writeBytes(stock.protect(theirs)));
		assertThat(readAll(channel)).isEqualTo(theirs);
		channel.checkException();
		stock.destroy();
	}

	@Test
	void aOneMebibyteRecordCompletesThroughReadsTheDemandSizes() throws Exception {
		ReadDemand demand = new ReadDemand(64 * 1024, 1024);
		EmbeddedChannel channel = decoderChannel(demand);
		// The largest record any ALTS stack accepts: a whole frame of exactly 1 MiB.
		byte[] plaintext = bytes(AltsFrameSizes.HARD_LIMIT - AltsRecordDecoder.HEADER_BYTES - AltsCrypter.TAG_LENGTH);
		byte[] record = seal(plaintext);
		assertThat(record).hasSize(AltsFrameSizes.HARD_LIMIT);
		int offset = 0;
		int reads = 0;
		long mostHeld = 0;
		while (offset < record.length) {
			// Each read is no bigger than the demand says, as the read path's are.
			int size = Math.min(demand.readSize(), record.length - offset);
			assertThat(size).isLessThanOrEqualTo(demand.maxReadSize());
			channel.writeInbound(this.alloc.directBuffer(size).writeBytes(record, offset, size));
			offset += size;
			reads++;
			mostHeld = Math.max(mostHeld, this.stats.incompletePinnedBytes());
		}
		assertThat(reads).isGreaterThan(16);
		// Never more than the record's own bytes held while it arrives.
		assertThat(mostHeld).isLessThanOrEqualTo(record.length);
		assertThat(readAll(channel)).isEqualTo(plaintext);
		assertThat(demand.missingBytes()).isEqualTo(AltsRecordDecoder.HEADER_BYTES);
		channel.checkException();
	}

	@Test
	void aRecordJustAboveOneMebibyteFailsBeforeAnythingIsAllocated() {
		EmbeddedChannel channel = decoderChannel();
		CountingAllocator counting = new CountingAllocator(this.alloc);
		channel.config().setAllocator(counting);
		long pinnedBefore = this.alloc.pinnedDirectMemory() + this.alloc.pinnedHeapMemory();
		ByteBuf header = this.alloc.heapBuffer().writeIntLE(AltsFrameSizes.HARD_LIMIT - 3).writeIntLE(6);
		assertFailed(channel, () -> channel.writeInbound(header), Status.Code.INTERNAL,
				"ALTS frame length 1048573 exceeds the maximum 1048572 (frame size 1048576)");
		assertReleased(header);
		assertThat(this.alloc.pinnedDirectMemory() + this.alloc.pinnedHeapMemory()).isEqualTo(pinnedBefore);
		// Counted as taken, not as still pinned: a buffer taken and released when the
		// failure closed the channel would leave the pinned figure as it was.
		assertThat(counting.taken()).as("bytes of buffers taken from the channel's allocator").isZero();
	}

	@Test
	void wrongFrameTypeFailsTheConnection() {
		EmbeddedChannel channel = decoderChannel();
		ByteBuf frame = this.alloc.heapBuffer().writeIntLE(100).writeIntLE(7).writeZero(20);
		assertFailed(channel, () -> channel.writeInbound(frame), Status.Code.INTERNAL,
				"ALTS frame type 7 is not the record type 6");
		assertReleased(frame);
	}

	@Test
	void lengthBelowTheTagFailsTheConnection() {
		EmbeddedChannel channel = decoderChannel();
		ByteBuf frame = this.alloc.heapBuffer().writeIntLE(19).writeIntLE(6).writeZero(15);
		assertFailed(channel, () -> channel.writeInbound(frame), Status.Code.INTERNAL,
				"ALTS frame length 19 is below the minimum 20");
		assertReleased(frame);
	}

	@Test
	void lengthAboveTheMaximumFailsBeforeAnythingIsAllocated() {
		EmbeddedChannel channel = decoderChannel();
		CountingAllocator counting = new CountingAllocator(this.alloc);
		channel.config().setAllocator(counting);
		long pinnedBefore = this.alloc.pinnedDirectMemory() + this.alloc.pinnedHeapMemory();
		// Only the length field has arrived: rejected at once.
		ByteBuf length = this.alloc.heapBuffer().writeIntLE(2_000_000);
		assertFailed(channel, () -> channel.writeInbound(length), Status.Code.INTERNAL,
				"ALTS frame length 2000000 exceeds the maximum 1048572 (frame size 1048576)");
		assertReleased(length);
		assertThat(this.alloc.pinnedDirectMemory() + this.alloc.pinnedHeapMemory()).isEqualTo(pinnedBefore);
		assertThat(this.stats.incompletePinnedBytes()).isZero();
		// Both figures above are read after the failure closed the channel, which
		// releases anything held: what was taken is counted as it is taken.
		assertThat(counting.taken()).as("bytes of buffers taken from the channel's allocator").isZero();
		assertThat(this.stats.framesHeldIncomplete()).as("frames held incomplete").isZero();
	}

	@Test
	void truncatedFrameAtEndOfStreamFailsTheConnection() throws Exception {
		StockAltsRecords stock = new StockAltsRecords(this.key, true, AltsFrameSizes.DEFAULT);
		byte[] frame = stock.protect(bytes(1000));
		EmbeddedChannel channel = decoderChannel();
		channel.writeInbound(this.alloc.directBuffer().writeBytes(frame, 0, 500));
		assertThat(this.stats.incompleteBytes()).isEqualTo(492);
		assertFailed(channel, channel::close, Status.Code.UNAVAILABLE,
				"ALTS connection closed in the middle of a frame: 492 of 1016 bytes after the header received");
		stock.destroy();
	}

	@Test
	void truncatedHeaderAtEndOfStreamFailsTheConnection() {
		EmbeddedChannel channel = decoderChannel();
		ByteBuf header = this.alloc.heapBuffer().writeIntLE(100).writeByte(6);
		channel.writeInbound(header);
		assertReleased(header);
		assertFailed(channel, channel::close, Status.Code.UNAVAILABLE,
				"ALTS connection closed in the middle of a frame header: 5 of 8 header bytes received");
	}

	/**
	 * The decoder released {@code input}, a read from the checked pool, in the read that
	 * brought it, failed or not.
	 */
	private static void assertReleased(ByteBuf input) {
		assertThat(input.refCnt()).as("reference count of the read given to the decoder").isZero();
	}

	private void assertFailed(EmbeddedChannel channel, Runnable action, Status.Code code, String description) {
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> {
			action.run();
			channel.checkException();
		}).satisfies((ex) -> {
			assertThat(ex.getStatus().getCode()).isEqualTo(code);
			assertThat(ex.getStatus().getDescription()).startsWith(description);
		});
		assertThat(channel.isOpen()).isFalse();
		assertThat(this.stats.incompleteBytes()).isZero();
	}

	private EmbeddedChannel decoderChannel() {
		return decoderChannel(null);
	}

	/**
	 * The record decoder with the HTTP/2 frame aligner behind it, as on the ready path.
	 */
	private EmbeddedChannel decoderAndAlignerChannel() {
		EmbeddedChannel channel = decoderChannel();
		channel.pipeline()
			.addLast(Http2FrameAligner.behindRecordDecoder(false, this.stats, DataFrames.SLICE_FILLED_READS));
		return channel;
	}

	private EmbeddedChannel decoderChannel(ReadDemand demand) {
		EmbeddedChannel channel = newChannel();
		channel.pipeline()
			.addLast(new AltsRecordDecoder(AltsCrypter.forReceiving(this.key, false), demand, this.stats));
		return channel;
	}

	private EmbeddedChannel newChannel() {
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.config().setAllocator(this.alloc);
		this.channels.add(channel);
		return channel;
	}

	private byte[] readAll(EmbeddedChannel channel) {
		ByteBuf all = Unpooled.buffer();
		ByteBuf buf;
		while ((buf = channel.readInbound()) != null) {
			all.writeBytes(buf);
			buf.release();
		}
		byte[] bytes = ByteBufUtil.getBytes(all);
		all.release();
		return bytes;
	}

	/** One record of {@code plaintext}, sealed by the sender matching the decoder. */
	private byte[] seal(byte[] plaintext) throws Exception {
		ByteBuf frame = Unpooled.buffer(AltsRecordDecoder.HEADER_BYTES + plaintext.length + AltsCrypter.TAG_LENGTH);
		try {
			frame.writeIntLE(4 + plaintext.length + AltsCrypter.TAG_LENGTH).writeIntLE(AltsRecordDecoder.FRAME_TYPE);
			AltsCrypter.forSending(this.key, true).encrypt(frame, Unpooled.wrappedBuffer(plaintext));
			return ByteBufUtil.getBytes(frame);
		}
		finally {
			frame.release();
		}
	}

	private static byte[] concat(byte[] one, byte[] two) {
		byte[] both = Arrays.copyOf(one, one.length + two.length);
		System.arraycopy(two, 0, both, one.length, two.length);
		return both;
	}

	private byte[] bytes(int n) {
		byte[] bytes = new byte[n];
		this.random.nextBytes(bytes);
		return bytes;
	}

}
