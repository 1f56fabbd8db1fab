package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link ReadyReadChannels} and {@link ReadPathHeadHandler}.
 */
class ReadyReadChannelsTests {

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false, 0);

	private final ReadPathStats stats = new ReadPathStats("test");

	private final EmbeddedChannel channel = new EmbeddedChannel();

	@AfterEach
	void close() {
		this.channel.finishAndReleaseAll();
		this.channel.checkException();
		assertThat(this.pool.pinnedDirectMemory()).isZero();
	}

	@Test
	void prepareInstallsDemandAllocatorAndHeadHandlerAndCountsTheConnection() {
		ReadDemand demand = ReadyReadChannels.prepare(this.channel, this.stats, 4096);
		assertThat(demand.maxReadSize()).isEqualTo(4096);
		assertThat(demand.readSize()).isEqualTo(ReadyReadChannels.INITIAL_READ_SIZE);
		assertThat((Object) this.channel.config().getRecvByteBufAllocator())
			.isInstanceOf(ReadyReadRecvByteBufAllocator.class);
		ReadyReadRecvByteBufAllocator allocator = this.channel.config().getRecvByteBufAllocator();
		assertThat(allocator.demand()).isSameAs(demand);
		// Not an epoll socket: no low-water mark, and the usual read loop.
		assertThat(allocator.oneReadPerWakeup()).isFalse();
		assertThat(this.channel.pipeline().first()).isInstanceOf(ReadPathHeadHandler.class);
		assertThat(this.channel.pipeline().toMap().values()).element(1).isInstanceOf(WritableRefillHandler.class);
		assertThat(this.stats.connections()).isEqualTo(1);
		this.channel.close();
		assertThat(this.stats.connections()).isZero();
	}

	@Test
	void preparingTwiceFails() {
		ReadyReadChannels.prepare(this.channel, this.stats, 4096);
		assertThatIllegalStateException().isThrownBy(() -> ReadyReadChannels.prepare(this.channel, this.stats, 4096));
		assertThat(this.stats.connections()).isEqualTo(1);
	}

	@Test
	void headHandlerCountsTheBytesReadAndLeavesReadBuffersToTheAllocator() {
		this.channel.config().setOption(ChannelOption.ALLOCATOR, this.pool);
		ReadDemand demand = ReadyReadChannels.prepare(this.channel, this.stats, 4096);
		this.channel.pipeline()
			.addLast(Http2FrameAligner.outermost(false, demand, this.stats, DataFrames.SLICE_FILLED_READS));
		ByteBuf read = this.pool.directBuffer(64);
		read.writeBytes(Http2FrameAlignerTests.frame((byte) 4, 0, new byte[6]));
		this.channel.writeInbound(read);
		ByteBuf frames = this.channel.readInbound();
		frames.release();
		assertThat(this.stats.bytesRead()).isEqualTo(15);
		assertThat(this.stats.readBuffersTaken()).isZero();
		assertThat(this.stats.readBuffersDone()).isZero();
		assertThat(this.channel.pipeline().get(ReadPathHeadHandler.class).lowWaterMarkChanges()).isZero();
	}

	@Test
	void trackCountsAConventionalConnectionAndItsBytesOnce() {
		ReadyReadChannels.track(this.channel, this.stats);
		ReadyReadChannels.track(this.channel, this.stats);
		assertThat(this.channel.pipeline().names().stream().filter((name) -> name.contains("ReadPathHeadHandler")))
			.hasSize(1);
		assertThat(this.channel.pipeline().names().stream().filter((name) -> name.contains("WritableRefillHandler")))
			.hasSize(1);
		assertThat(this.stats.connections()).isEqualTo(1);
		ByteBuf read = this.pool.directBuffer(64).writeZero(20);
		this.channel.writeInbound(read);
		ByteBuf passed = this.channel.readInbound();
		assertThat(passed).isSameAs(read);
		passed.release();
		assertThat(this.stats.bytesRead()).isEqualTo(20);
		assertThat((Object) this.channel.config().getRecvByteBufAllocator())
			.isNotInstanceOf(ReadyReadRecvByteBufAllocator.class);
		this.channel.close();
		assertThat(this.stats.connections()).isZero();
	}

}
