package io.github.readyread.grpc.transport.internal;

import java.util.Random;

import io.github.readyread.grpc.CountingAllocator;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for {@link FrameDecoder}, with frames of a 2-byte length and their payload.
 */
class FrameDecoderTests {

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);

	private final CountingAllocator counting = new CountingAllocator(this.pool);

	private final ReadPathStats stats = new ReadPathStats("test");

	private final EmbeddedChannel channel = new EmbeddedChannel();

	private final byte[] frame = frame(5000);

	@AfterEach
	void everythingReleased() {
		this.channel.finishAndReleaseAll();
		this.channel.checkException();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
	}

	@Test
	void aFrameCompletedByALaterReadCopiesItsLastBytesOnceIntoABufferOfItsSize() {
		decoder();
		read(0, 1002);
		assertThat(this.counting.taken()).isEqualTo(1000);
		this.counting.reset();
		read(1002, 5002);
		assertThat(this.counting.taken()).isEqualTo(5000);
		assertPayloadPassedOn();
	}

	@Test
	void aFrameOverThreeReadsKeepsExactCopiesAndCopiesItsLastBytesOnce() {
		decoder();
		read(0, 1002);
		read(1002, 2002);
		assertThat(this.stats.incompleteBytes()).isEqualTo(2000);
		assertThat(this.counting.taken()).isEqualTo(2000);
		this.counting.reset();
		read(2002, 5002);
		assertThat(this.counting.taken()).isEqualTo(5000);
		assertPayloadPassedOn();
	}

	@Test
	void whereReadsCanWaitForItTheRestOfALargeFrameIsAskedForWholeInOneRead() {
		ReadDemand demand = frameRestDemand();
		byte[] large = frame(40000);
		decoder(demand);
		readBytes(large, 0, 1002);
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.missingBytes()).isEqualTo(39000);
		assertThat(demand.readSize()).isEqualTo(39002);
		readBytes(large, 1002, 40002);
		assertPassedOn(large, 2, 40000);
		// Frames of less than 32 KiB went on as they came before any large one.
		byte[] small = frame(20000);
		ReadDemand other = frameRestDemand();
		EmbeddedChannel channel = new EmbeddedChannel(new LengthPrefixed(this.stats, other));
		channel.writeInbound(this.pool.directBuffer(1002).writeBytes(small, 0, 1002));
		assertThat(other.awaitsFrameRest()).isFalse();
		assertThat(other.missingBytes()).isEqualTo(19000);
		channel.finishAndReleaseAll();
	}

	@Test
	void afterALargeFrameEachHeaderIsReadAloneAndTheNextLargeFrameGoesOnAsASliceOfTheReadThatBringsIt() {
		ReadDemand demand = frameRestDemand();
		byte[] first = frame(40000);
		byte[] second = frame(50000);
		decoder(demand);
		// The first frame and the second one's header in one read.
		ByteBuf read = this.pool.directBuffer(40004).writeBytes(first).writeBytes(second, 0, 2);
		this.channel.writeInbound(read);
		assertPassedOn(first, 2, 40000);
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.readSize()).isEqualTo(50002);
		this.counting.reset();
		readBytes(second, 2, 50002);
		// Not copied: a slice of the read that brought it.
		assertThat(this.counting.taken()).isZero();
		assertPassedOn(second, 2, 50000);
		// The next header alone, since large frames flow.
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.readSize()).isEqualTo(2);
	}

	@Test
	void aConnectionReadsAsBeforeLargeFramesAfterEightSmallOnes() {
		ReadDemand demand = frameRestDemand();
		byte[] large = frame(40000);
		decoder(demand);
		readBytes(large, 0, 40002);
		assertPassedOn(large, 2, 40000);
		byte[] small = frame(100);
		for (int i = 1; i <= FrameDecoder.SMALL_FRAMES_TO_LEAVE; i++) {
			readBytes(small, 0, 2);
			// Until the eighth small header, every frame is read exactly.
			assertThat(demand.awaitsFrameRest()).as("after small header " + i)
				.isEqualTo(i < FrameDecoder.SMALL_FRAMES_TO_LEAVE);
			readBytes(small, 2, 102);
			assertPassedOn(small, 2, 100);
		}
		assertThat(demand.awaitsFrameRest()).isFalse();
		assertThat(demand.readSize()).isEqualTo(2);
	}

	@Test
	void aFrameHeldInManyPiecesCountsAsOneFrameHeldIncomplete() {
		decoder();
		read(0, 1002);
		// More pieces than PartialFrame keeps apart: they are merged on the way.
		for (int at = 1002; at < 1002 + 40; at++) {
			read(at, at + 1);
		}
		assertThat(this.stats.incompleteFrames()).isOne();
		assertThat(this.stats.incompleteBytes()).isEqualTo(1040);
		read(1042, 5002);
		assertPayloadPassedOn();
		assertThat(this.stats.framesHeldIncomplete()).isOne();
		assertThat(this.stats.incompleteFrames()).isZero();
	}

	@Test
	void aPrefixWholeInItsReadGoesOnWithoutCountingAsAFrameHeldIncomplete() {
		this.channel.config().setAllocator(this.counting);
		this.channel.pipeline().addLast(new LengthPrefixed(this.stats, null, 3));
		ByteBuf read = this.pool.directBuffer(3 + 5002).writeBytes(new byte[] { 7, 8, 9 }).writeBytes(this.frame);
		this.channel.writeInbound(read);
		ByteBuf prefix = this.channel.readInbound();
		try {
			assertThat(ByteBufUtil.getBytes(prefix)).containsExactly(7, 8, 9);
		}
		finally {
			prefix.release();
		}
		assertPayloadPassedOn();
		assertThat(this.stats.framesHeldIncomplete()).isZero();
	}

	@Test
	void aDecoderThatFailsInsideALargeFrameAsksForOneSmallReadNotTheFramesRest() {
		ReadDemand demand = frameRestDemand();
		byte[] large = frame(40000);
		byte[] next = frame(50000);
		this.channel.config().setAllocator(this.counting);
		this.channel.pipeline().addLast(new LengthPrefixed(this.stats, demand, 0, true));
		readBytes(large, 0, 1002);
		assertThat(demand.awaitsFrameRest()).isTrue();
		// The read completes the frame, which fails, with a large frame's head after it.
		ByteBuf read = this.pool.directBuffer(39000 + 1002).writeBytes(large, 1002, 39000).writeBytes(next, 0, 1002);
		assertThatThrownBy(() -> this.channel.writeInbound(read)).hasMessageContaining("refused");
		assertThat(demand.awaitsFrameRest()).isFalse();
		assertThat(demand.missingBytes()).isOne();
		assertThat(demand.readSize()).isLessThanOrEqualTo(4096);
	}

	@Test
	void whileLargeFramesFlowASmallFramesRestComesWithRoomForALargeFrameBehindIt() {
		ReadDemand demand = new ReadDemand(8192, 1024);
		demand.frameRestReads(true);
		byte[] large = frame(40000);
		byte[] small = frame(20000);
		byte[] behind = frame(35000);
		decoder(demand);
		readBytes(large, 0, 40002);
		assertPassedOn(large, 2, 40000);
		readBytes(small, 0, 1002);
		// Its rest, the next header, a frame as large as the last large one and the
		// header after that: past the largest read, as a large frame's own read is.
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.missingBytes()).isEqualTo(19000);
		assertThat(demand.readSize()).isEqualTo(19000 + 2 + 40000 + 2);
		// That read brings the small frame's rest and a large frame behind it, whole: the
		// small one is completed from its copy, the large one goes on as a slice.
		this.counting.reset();
		ByteBuf read = this.pool.directBuffer(19000 + 35002).writeBytes(small, 1002, 19000).writeBytes(behind);
		this.channel.writeInbound(read);
		assertThat(this.counting.taken()).isEqualTo(20000);
		assertPassedOn(small, 2, 20000);
		assertPassedOn(behind, 2, 35000);
		// Then the next header alone, and the rest of a small frame again with room for a
		// frame of the last large one's size.
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.readSize()).isEqualTo(2);
		byte[] fits = frame(5000);
		readBytes(fits, 0, 1002);
		assertThat(demand.awaitsFrameRest()).isTrue();
		assertThat(demand.readSize()).isEqualTo(4000 + 2 + 35000 + 2);
		readBytes(fits, 1002, 5002);
		assertPassedOn(fits, 2, 5000);
	}

	private ReadDemand frameRestDemand() {
		ReadDemand demand = new ReadDemand(65536, 1024);
		demand.frameRestReads(true);
		return demand;
	}

	private void decoder(@Nullable ReadDemand demand) {
		this.channel.config().setAllocator(this.counting);
		this.channel.pipeline().addLast(new LengthPrefixed(this.stats, demand));
	}

	private void readBytes(byte[] bytes, int from, int to) {
		this.channel.writeInbound(this.pool.directBuffer(to - from).writeBytes(bytes, from, to - from));
	}

	private void assertPassedOn(byte[] bytes, int from, int length) {
		ByteBuf payload = this.channel.readInbound();
		try {
			assertThat(ByteBufUtil.getBytes(payload))
				.isEqualTo(java.util.Arrays.copyOfRange(bytes, from, from + length));
		}
		finally {
			payload.release();
		}
	}

	private void assertPayloadPassedOn() {
		ByteBuf payload = this.channel.readInbound();
		try {
			assertThat(payload.capacity()).isEqualTo(5000);
			assertThat(ByteBufUtil.getBytes(payload)).isEqualTo(java.util.Arrays.copyOfRange(this.frame, 2, 5002));
		}
		finally {
			payload.release();
		}
		assertThat((Object) this.channel.readInbound()).isNull();
	}

	private void decoder() {
		decoder(null);
	}

	private void read(int from, int to) {
		readBytes(this.frame, from, to);
	}

	private static byte[] frame(int payloadLength) {
		byte[] bytes = new byte[2 + payloadLength];
		new Random(3).nextBytes(bytes);
		bytes[0] = (byte) (payloadLength >>> 8);
		bytes[1] = (byte) payloadLength;
		return bytes;
	}

	/** Frames of a 2-byte length and that many payload bytes; passes payloads on. */
	private static final class LengthPrefixed extends FrameDecoder {

		private final boolean refuseHeldFrames;

		LengthPrefixed(ReadPathStats stats, @Nullable ReadDemand demand) {
			this(stats, demand, 0);
		}

		LengthPrefixed(ReadPathStats stats, @Nullable ReadDemand demand, int prefixLength) {
			this(stats, demand, prefixLength, false);
		}

		/** One whose held frames fail (a frame found bad once whole, say). */
		LengthPrefixed(ReadPathStats stats, @Nullable ReadDemand demand, int prefixLength, boolean refuseHeldFrames) {
			super(2, 2, prefixLength, demand, stats);
			this.refuseHeldFrames = refuseHeldFrames;
		}

		@Override
		protected int payloadLength(ChannelHandlerContext ctx, ByteBuf buffer, int index) {
			return buffer.getUnsignedShort(index);
		}

		@Override
		protected void wholeFrame(ChannelHandlerContext ctx, ByteBuf in, int payloadLength) {
			in.skipBytes(2);
			ctx.fireChannelRead(in.readRetainedSlice(payloadLength));
		}

		@Override
		protected void heldFrame(ChannelHandlerContext ctx, ByteBuf header, ByteBuf payload, boolean copied) {
			if (this.refuseHeldFrames) {
				payload.release();
				throw new IllegalStateException("Held frame refused");
			}
			ctx.fireChannelRead(payload);
		}

	}

}
