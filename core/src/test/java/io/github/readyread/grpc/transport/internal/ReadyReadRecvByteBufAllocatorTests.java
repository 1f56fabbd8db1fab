package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadyReadRecvByteBufAllocator}.
 */
class ReadyReadRecvByteBufAllocatorTests {

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);

	private final ReadPathStats stats = new ReadPathStats("test");

	private final ReadDemand demand = new ReadDemand(16402, 9);

	private final ReadDemand adaptiveDemand = new ReadDemand(65536, 9);

	private final EmbeddedChannel channel = new EmbeddedChannel();

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
		this.channel.checkException();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void readBufferIsSizedFromTheDemand() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		this.demand.await(5000, 5009);
		ByteBuf buffer = handle.allocate(this.pool);
		try {
			assertThat(buffer.isDirect()).isTrue();
			assertThat(buffer.writableBytes()).isEqualTo(5009);
			assertThat(this.stats.readBuffersTaken()).isEqualTo(1);
			assertThat(this.stats.readBuffersPinnedBytes()).isEqualTo(5009);
		}
		finally {
			buffer.release();
		}
	}

	@Test
	void readSizeIsNeverZero() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		this.demand.await(0, 0);
		ByteBuf buffer = handle.allocate(this.pool);
		try {
			assertThat(buffer.writableBytes()).isEqualTo(1);
		}
		finally {
			buffer.release();
		}
	}

	@Test
	void emptyReadGivesTheBufferBack() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		ByteBuf buffer = handle.allocate(this.pool);
		handle.attemptedBytesRead(buffer.writableBytes());
		handle.lastBytesRead(0);
		buffer.release();
		assertThat(this.stats.readBuffersDone()).isEqualTo(1);
		assertThat(this.stats.readBuffersPinnedBytes()).isZero();
	}

	@Test
	void aBufferNettyFreesAfterAFailedReadIsSettledWhenTheReadLoopCompletes() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		ByteBuf buffer = handle.allocate(this.pool);
		handle.attemptedBytesRead(buffer.writableBytes());
		// The read failed (ECONNRESET): Netty releases the empty buffer without
		// lastBytesRead, then completes the read loop.
		buffer.release();
		handle.readComplete();
		assertThat(this.stats.readBuffersTaken()).isEqualTo(1);
		assertThat(this.stats.readBuffersDone()).isEqualTo(1);
		assertThat(this.stats.readBuffersPinnedBytes()).isZero();
	}

	@Test
	void eachReadBufferIsSettledOnceWhateverTheLoopDoesNext() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		for (int i = 0; i < 3; i++) {
			ByteBuf buffer = handle.allocate(this.pool);
			handle.attemptedBytesRead(buffer.writableBytes());
			handle.lastBytesRead(9);
			handle.incMessagesRead(1);
			// fireChannelRead: the decoders release it.
			buffer.release();
		}
		ByteBuf last = handle.allocate(this.pool);
		handle.lastBytesRead(-1);
		last.release();
		handle.readComplete();
		handle.readComplete();
		assertThat(this.stats.readBuffersTaken()).isEqualTo(4);
		assertThat(this.stats.readBuffersDone()).isEqualTo(4);
		assertThat(this.stats.readBuffersPinnedBytes()).isZero();
	}

	@Test
	void keepsReadingWhileReadsFillTheirBuffersUpToMaxMessagesPerRead() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		for (int i = 0; i < 3; i++) {
			fullRead(handle);
			assertThat(handle.continueReading()).isEqualTo(i < 2);
		}
	}

	@Test
	void stopsReadingAfterAShortRead() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(false);
		handle.attemptedBytesRead(9);
		handle.lastBytesRead(4);
		handle.incMessagesRead(1);
		assertThat(handle.continueReading()).isFalse();
	}

	@Test
	void oneReadPerWakeupStopsAfterTheFirstRead() {
		RecvByteBufAllocator.ExtendedHandle handle = handle(true);
		fullRead(handle);
		assertThat(handle.continueReading()).isFalse();
	}

	@Test
	void adaptiveReadsStartSmallAndGrowAfterReadsThatFillTheirBuffer() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(65536);
		assertThat(handle.guess()).isEqualTo(2048);
		int[] expected = { 8192, 32768, 65536, 65536 };
		for (int size : expected) {
			read(handle, handle.guess(), handle.guess());
			assertThat(handle.guess()).isEqualTo(size);
		}
	}

	@Test
	void adaptiveReadsShrinkByHalfAfterTwoBatchesThatFillLessThanHalfTheirBuffer() {
		RecvByteBufAllocator.ExtendedHandle handle = grownTo65536();
		batch(handle, 100);
		assertThat(handle.guess()).isEqualTo(65536);
		batch(handle, 100);
		assertThat(handle.guess()).isEqualTo(32768);
		batch(handle, 100);
		batch(handle, 100);
		assertThat(handle.guess()).isEqualTo(16384);
	}

	@Test
	void aBatchThatFillsHalfItsBufferOrMoreKeepsTheSize() {
		RecvByteBufAllocator.ExtendedHandle handle = grownTo65536();
		batch(handle, 100);
		batch(handle, 40000);
		batch(handle, 100);
		assertThat(handle.guess()).isEqualTo(65536);
		batch(handle, 32768);
		batch(handle, 32768);
		assertThat(handle.guess()).isEqualTo(65536);
	}

	@Test
	void adaptiveReadsNeverShrinkBelowTheMinimum() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(65536);
		for (int i = 0; i < 40; i++) {
			batch(handle, 1);
		}
		assertThat(handle.guess()).isEqualTo(1024);
	}

	@Test
	void adaptiveReadsNeverGrowPastTheLargestReadSize() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(20000);
		for (int i = 0; i < 5; i++) {
			read(handle, handle.guess(), handle.guess());
		}
		assertThat(handle.guess()).isEqualTo(20000);
	}

	@Test
	void anAdaptiveReadTakesAtLeastWhatTheFrameBeingReadMisses() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(65536);
		this.adaptiveDemand.await(16384, 16393);
		assertThat(handle.guess()).isEqualTo(16393);
		ByteBuf buffer = handle.allocate(this.pool);
		try {
			assertThat(buffer.writableBytes()).isEqualTo(16393);
		}
		finally {
			buffer.release();
			handle.readComplete();
		}
		// A full read of the frame grows the guess from what it read.
		read(handle, 16393, 16393);
		this.adaptiveDemand.await(1, 9);
		assertThat(handle.guess()).isEqualTo(65536);
	}

	@Test
	void adaptiveReadBuffersAreTheGuessesSizeTheirFirstBytesLeftForAFrameHeader() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(65536);
		ByteBuf buffer = handle.allocate(this.pool);
		try {
			assertThat(buffer.readerIndex()).isEqualTo(Http2FrameAligner.HEADROOM);
			assertThat(buffer.writableBytes()).isEqualTo(2048 - 9);
			assertThat(buffer.maxCapacity()).isEqualTo(2048);
		}
		finally {
			buffer.release();
			handle.readComplete();
		}
	}

	@Test
	void theRestOfALargeFrameIsReadWholeIntoOneBufferEvenPastTheLargestRead() {
		RecvByteBufAllocator.ExtendedHandle handle = grownTo65536();
		this.adaptiveDemand.frameRestReads(true);
		// A 128 KiB ALTS record whose header came alone: its rest and the next header.
		this.adaptiveDemand.awaitFrameRest(131088, 131096);
		assertThat(this.adaptiveDemand.awaitsFrameRest()).isTrue();
		assertThat(this.adaptiveDemand.missingBytes()).isEqualTo(131088);
		assertThat(handle.guess()).isEqualTo(131096);
		ByteBuf buffer = handle.allocate(this.pool);
		try {
			assertThat(buffer.writableBytes()).isEqualTo(131096);
			assertThat(buffer.readerIndex()).isEqualTo(Http2FrameAligner.HEADROOM);
		}
		finally {
			handle.attemptedBytesRead(buffer.writableBytes());
			handle.lastBytesRead(buffer.writableBytes());
			handle.incMessagesRead(1);
			buffer.release();
		}
		// It filled its buffer: the next header may be queued already.
		assertThat(handle.continueReading()).isTrue();
		// While such records flow, a header is read alone, not in a buffer of the learned
		// size.
		this.adaptiveDemand.awaitFrameRest(8, 8);
		assertThat(handle.guess()).isEqualTo(8);
		ByteBuf header = handle.allocate(this.pool);
		try {
			assertThat(header.writableBytes()).isEqualTo(8);
		}
		finally {
			header.release();
		}
		handle.readComplete();
		// Back to frames read as they come: the learned size again.
		this.adaptiveDemand.await(9, 9);
		assertThat(this.adaptiveDemand.awaitsFrameRest()).isFalse();
		assertThat(handle.guess()).isEqualTo(65536);
	}

	@Test
	void withoutTheLowWaterMarkTheRestOfALargeFrameIsReadAsItComes() {
		RecvByteBufAllocator.ExtendedHandle handle = grownTo65536();
		this.adaptiveDemand.awaitFrameRest(131088, 131096);
		assertThat(this.adaptiveDemand.awaitsFrameRest()).isFalse();
		assertThat(this.adaptiveDemand.missingBytes()).isEqualTo(65536);
		assertThat(handle.guess()).isEqualTo(65536);
		fullRead(handle);
		assertThat(handle.continueReading()).isTrue();
	}

	private RecvByteBufAllocator.ExtendedHandle adaptiveHandle(int maxReadSize) {
		ReadDemand demand = (maxReadSize == 65536) ? this.adaptiveDemand : new ReadDemand(maxReadSize, 9);
		RecvByteBufAllocator.ExtendedHandle handle = (RecvByteBufAllocator.ExtendedHandle) new ReadyReadRecvByteBufAllocator(
				demand, this.stats, 16, ReadSizing.ADAPTIVE, false)
			.newHandle();
		handle.reset(this.channel.config());
		return handle;
	}

	private RecvByteBufAllocator.ExtendedHandle grownTo65536() {
		RecvByteBufAllocator.ExtendedHandle handle = adaptiveHandle(65536);
		while (handle.guess() < 65536) {
			read(handle, handle.guess(), handle.guess());
		}
		return handle;
	}

	/**
	 * One read of {@code bytes} into a buffer of {@code attempted}, then the batch ends.
	 */
	private void read(RecvByteBufAllocator.ExtendedHandle handle, int attempted, int bytes) {
		handle.reset(this.channel.config());
		handle.attemptedBytesRead(attempted);
		handle.lastBytesRead(bytes);
		handle.incMessagesRead(1);
		handle.readComplete();
	}

	/** A wakeup whose reads brought {@code bytes} in all, less than the buffer. */
	private void batch(RecvByteBufAllocator.ExtendedHandle handle, int bytes) {
		read(handle, handle.guess(), bytes);
	}

	private RecvByteBufAllocator.ExtendedHandle handle(boolean oneReadPerWakeup) {
		RecvByteBufAllocator.ExtendedHandle handle = (RecvByteBufAllocator.ExtendedHandle) new ReadyReadRecvByteBufAllocator(
				this.demand, this.stats, 3, oneReadPerWakeup)
			.newHandle();
		handle.reset(this.channel.config());
		return handle;
	}

	private static void fullRead(RecvByteBufAllocator.ExtendedHandle handle) {
		handle.attemptedBytesRead(9);
		handle.lastBytesRead(9);
		handle.incMessagesRead(1);
	}

}
