package io.github.readyread.grpc.transport.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.LeakFailingExtension;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link WritableRefillHandler}: a flush of a DATA frame larger than the
 * channel's write buffer goes out in one pass of the channel's write loop, and a flush
 * that needs many refills writes in bulk.
 */
@ExtendWith(LeakFailingExtension.class)
class WritableRefillHandlerTests {

	private static final int STREAM = 3;

	private static final int DATA = 60 * 1024;

	private static final int BULK_DATA = 2 * 1024 * 1024;

	/** Largest DATA frame Netty's encoder writes by default: payload and header. */
	private static final int LARGEST_FRAME = 16 * 1024 + 9;

	@Test
	void aFlushOfAFrameLargerThanTheWriteBufferWritesItAllInOnePassOfTheWriteLoop() throws Exception {
		// Netty 4.2.18's HTTP/2 handler alone: one pass per refill of the write buffer.
		Flushed alone = flushLargeDataFrame(false);
		assertThat(alone.bytes).isGreaterThan(DATA);
		assertThat(alone.passes).isGreaterThan(1);

		Flushed refilled = flushLargeDataFrame(true);
		assertThat(refilled.bytes).isEqualTo(alone.bytes);
		assertThat(refilled.passes).isEqualTo(1);
		assertThat(refilled.refills).isGreaterThan(0);
	}

	@Test
	void aFlushThatNeedsManyRefillsWritesInBulkThenPutsNettysWaterMarksBack() throws Exception {
		Bulk bulk = flushBulkDataFrame(null);

		assertThat(bulk.bytes).isGreaterThan(BULK_DATA);
		assertThat(bulk.bulkFlushes).isOne();
		// Under Netty's marks the flow controller hands over about 64 KiB at a time; in
		// bulk up to the bulk high mark and the frame that crosses it.
		assertThat(bulk.largestQueued).isGreaterThan(2 * WriteBufferWaterMark.DEFAULT.high())
			.isLessThanOrEqualTo(WritableRefillHandler.BULK_WATER_MARK.high() + LARGEST_FRAME);
		assertThat(bulk.refills).isLessThan(BULK_DATA / WriteBufferWaterMark.DEFAULT.high());
		assertThat(bulk.marksAfter.low()).isEqualTo(WriteBufferWaterMark.DEFAULT.low());
		assertThat(bulk.marksAfter.high()).isEqualTo(WriteBufferWaterMark.DEFAULT.high());
		assertThat(bulk.bulkAfter).isFalse();
	}

	@Test
	void waterMarksSetOnTheChannelAreLeftAsTheyAre() throws Exception {
		WriteBufferWaterMark configured = new WriteBufferWaterMark(32 * 1024, 96 * 1024);
		Bulk bulk = flushBulkDataFrame(configured);

		assertThat(bulk.bytes).isGreaterThan(BULK_DATA);
		assertThat(bulk.bulkFlushes).isZero();
		assertThat(bulk.largestQueued).isLessThanOrEqualTo(configured.high() + LARGEST_FRAME);
		assertThat(bulk.refills).isGreaterThanOrEqualTo(BULK_DATA / configured.high() - 1);
		assertThat(bulk.marksAfter.low()).isEqualTo(configured.low());
		assertThat(bulk.marksAfter.high()).isEqualTo(configured.high());
	}

	@ParameterizedTest
	@EnumSource(value = TransportType.class, names = { "EPOLL", "NIO" })
	void onARealConnectionA1MiBAnswerIsWrittenWithRefillsAndArrivesWhole(TransportType type) throws Exception {
		assumeTrue(type != TransportType.EPOLL || Epoll.isAvailable(), "native epoll is not available here");
		NettyTransport loops = NettyTransport.select(type, 1, Duration.ZERO, Duration.ofSeconds(1));
		PooledBufferAllocator pool = new PooledBufferAllocator(PoolSettings.defaults());
		ReadyReadTransport transport = new ReadyReadTransport(loops, pool, TransportSettings.builder().build(),
				new ReadPathRegistry());
		Server server = null;
		ManagedChannel channel = null;
		try {
			NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
				.directExecutor()
				.addService(new EchoService());
			ReadPathStats stats = transport.configure(builder, TransportSecurity.plaintext()).stats();
			server = builder.build().start();
			NettyChannelBuilder channelBuilder = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
				.usePlaintext();
			transport.configure(channelBuilder, "echo", "127.0.0.1:" + server.getPort(), TransportSecurity.plaintext());
			channel = channelBuilder.build();
			byte[] request = new byte[1024 * 1024];
			new Random(7).nextBytes(request);

			assertThat(EchoService.call(channel, request)).isEqualTo(request);

			// The server's answer: 1 MiB through a 64 KiB write buffer, in bulk after a
			// few refills.
			assertThat(stats.liveChannels()).singleElement().satisfies((connection) -> {
				WritableRefillHandler handler = connection.pipeline().get(WritableRefillHandler.class);
				assertThat(handler.refills()).isPositive();
				assertThat(handler.bulkFlushes()).isPositive();
			});
		}
		finally {
			if (channel != null) {
				channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			}
			if (server != null) {
				server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			}
			transport.close();
			loops.close();
		}
	}

	private static Flushed flushLargeDataFrame(boolean withRefill) throws Exception {
		WritableRefillHandler refill = new WritableRefillHandler();
		CountingChannel channel = new CountingChannel();
		channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
		Http2ConnectionHandler http2 = http2();
		if (withRefill) {
			channel.pipeline().addLast(refill);
		}
		channel.pipeline().addLast(http2);
		// The preface and SETTINGS go out first, on their own.
		channel.flushOutbound();
		releaseAll(channel);
		channel.passes.set(0);

		writeData(channel, http2, DATA);
		channel.flush();

		Flushed flushed = new Flushed(channel.passes.get(), releaseAll(channel), refill.refills());
		channel.finishAndReleaseAll();
		return flushed;
	}

	private static Bulk flushBulkDataFrame(@Nullable WriteBufferWaterMark marks) throws Exception {
		CountingChannel channel = new CountingChannel();
		if (marks != null) {
			channel.config().setWriteBufferWaterMark(marks);
		}
		WritableRefillHandler refill = new WritableRefillHandler();
		Http2ConnectionHandler http2 = http2();
		channel.pipeline().addLast(refill, http2);
		channel.flushOutbound();
		releaseAll(channel);
		// The peer's windows take the whole frame.
		Http2RemoteFlowController flowController = http2.encoder().flowController();
		flowController.initialWindowSize(2 * BULK_DATA);
		flowController.incrementWindowSize(http2.connection().connectionStream(), 2 * BULK_DATA);
		writeData(channel, http2, BULK_DATA);
		channel.largestQueued = 0;
		channel.flush();

		Bulk bulk = new Bulk(releaseAll(channel), channel.largestQueued, refill.refills(), refill.bulkFlushes(),
				channel.config().getWriteBufferWaterMark(), refill.bulk());
		channel.finishAndReleaseAll();
		return bulk;
	}

	private static Http2ConnectionHandler http2() {
		return new Http2ConnectionHandlerBuilder().server(false).frameListener(new Http2FrameAdapter()).build();
	}

	private static void writeData(EmbeddedChannel channel, Http2ConnectionHandler http2, int bytes) throws Exception {
		Http2Stream stream = http2.connection().local().createStream(STREAM, false);
		assertThat(stream.id()).isEqualTo(STREAM);
		ChannelHandlerContext ctx = channel.pipeline().context(http2);
		ByteBuf data = Unpooled.wrappedBuffer(new byte[bytes]);
		http2.encoder().writeData(ctx, STREAM, data, 0, true, ctx.newPromise());
	}

	private static long releaseAll(EmbeddedChannel channel) {
		long bytes = 0;
		for (Object msg = channel.readOutbound(); msg != null; msg = channel.readOutbound()) {
			ByteBuf buffer = (ByteBuf) msg;
			bytes += buffer.readableBytes();
			buffer.release();
		}
		return bytes;
	}

	private record Flushed(int passes, long bytes, long refills) {
	}

	private record Bulk(long bytes, long largestQueued, long refills, long bulkFlushes, WriteBufferWaterMark marksAfter,
			boolean bulkAfter) {
	}

	/** Counts the passes of its write loop that had something to write. */
	private static final class CountingChannel extends EmbeddedChannel {

		final AtomicInteger passes = new AtomicInteger();

		/** Most bytes the outbound buffer held while the write loop ran. */
		long largestQueued;

		@Override
		protected void doWrite(ChannelOutboundBuffer in) throws Exception {
			if (in.current() != null) {
				this.passes.incrementAndGet();
			}
			super.doWrite(in);
		}

		@Override
		protected void handleOutboundMessage(Object msg) {
			ChannelOutboundBuffer outbound = unsafe().outboundBuffer();
			if (outbound != null) {
				this.largestQueued = Math.max(this.largestQueued, outbound.totalPendingWriteBytes());
			}
			super.handleOutboundMessage(msg);
		}

	}

}
