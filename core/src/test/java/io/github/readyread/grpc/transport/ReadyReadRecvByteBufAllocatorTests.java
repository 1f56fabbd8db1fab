package io.github.readyread.grpc.transport;

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
