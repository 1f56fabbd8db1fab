package io.github.readyread.grpc.transport.internal;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.LeakFailingExtension;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for the cap of {@link ReadPathHeadHandler}'s low-water mark on a real epoll
 * socket: half the receive buffer, read when the connection first reads, and read again
 * when a peer trickles inside the rest of a large frame that is longer than the cap (the
 * kernel grows the buffer as a connection streams; here the test grows it).
 */
@ExtendWith(LeakFailingExtension.class)
class ReadPathHeadHandlerMarkTests {

	/**
	 * The rest of a large ALTS record: longer than half the first receive buffer, shorter
	 * than half the grown one (Linux caps {@code SO_RCVBUF} at {@code net.core.rmem_max},
	 * 212,992 by default, and reports twice that).
	 */
	private static final int REST = 150_000;

	/** Receive buffer asked for first: Linux doubles it, so the first cap is this. */
	private static final int FIRST_RECEIVE_BUFFER = 64 * 1024;

	/** Receive buffer asked for after the first read: room for the whole rest. */
	private static final int GROWN_RECEIVE_BUFFER = 1024 * 1024;

	@Test
	void aTrickleInsideALongFrameRestRaisesTheMarkToTheRestOnceTheReceiveBufferHasGrown() throws Exception {
		Marks marks = trickle(true);

		assertThat(marks.first).as("mark after the first read (nothing trickled yet)").isOne();
		assertThat(marks.afterTrickle).as("mark after a trickle inside a frame rest of %d B", REST).isEqualTo(REST);
		assertThat(marks.inKernel).as("SO_RCVLOWAT as the kernel reports it").isEqualTo(REST);
	}

	@Test
	void aTrickleWhileAwaitingAnythingButAFrameRestKeepsTheFirstCap() throws Exception {
		Marks marks = trickle(false);

		assertThat(marks.first).isOne();
		// Half of the doubled first receive buffer: the cap read at the first read.
		assertThat(marks.afterTrickle).isEqualTo(FIRST_RECEIVE_BUFFER);
		assertThat(marks.inKernel).isEqualTo(FIRST_RECEIVE_BUFFER);
	}

	/**
	 * A connection whose read path awaits {@link #REST} bytes (as the rest of a frame, or
	 * plainly), to which the peer sends 10 bytes, then, after the receive buffer has
	 * grown, 10 bytes more: a trickle.
	 */
	private static Marks trickle(boolean frameRest) throws Exception {
		assumeTrue(Epoll.isAvailable(), "SO_RCVLOWAT is kept on epoll only");
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
		BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
		BlockingQueue<Integer> batches = new LinkedBlockingQueue<>();
		ReadDemand demand = new ReadDemand(64 * 1024, 64 * 1024);
		ReadPathHeadHandler[] head = new ReadPathHeadHandler[1];
		try {
			Channel server = new ServerBootstrap().group(group)
				.channel(EpollServerSocketChannel.class)
				.childOption(ChannelOption.SO_RCVBUF, FIRST_RECEIVE_BUFFER)
				.childHandler(new ChannelInitializer<EpollSocketChannel>() {
					@Override
					protected void initChannel(EpollSocketChannel channel) {
						demand.frameRestReads(true);
						if (frameRest) {
							demand.awaitFrameRest(REST, REST);
						}
						else {
							demand.await(REST, REST);
						}
						head[0] = new ReadPathHeadHandler(demand, new ReadPathStats("test"), ReadSizing.ADAPTIVE, true);
						channel.pipeline().addLast(head[0], new ChannelInboundHandlerAdapter() {
							@Override
							public void channelRead(ChannelHandlerContext ctx, Object msg) {
								ReferenceCountUtil.release(msg);
							}

							@Override
							public void channelReadComplete(ChannelHandlerContext ctx) {
								// After the head handler, which sets the mark before
								// passing the event on.
								batches.add(head[0].lowWaterMark());
							}
						});
						accepted.add(channel);
					}
				})
				.bind(new InetSocketAddress("127.0.0.1", 0))
				.sync()
				.channel();
			try (Socket peer = new Socket()) {
				peer.connect(server.localAddress());
				OutputStream out = peer.getOutputStream();
				Channel connection = accepted.poll(10, TimeUnit.SECONDS);
				assertThat(connection).as("accepted connection").isNotNull();
				out.write(new byte[10]);
				out.flush();
				Integer first = batches.poll(10, TimeUnit.SECONDS);
				assertThat(first).as("first read batch").isNotNull();
				connection.eventLoop()
					.submit(() -> connection.config().setOption(ChannelOption.SO_RCVBUF, GROWN_RECEIVE_BUFFER))
					.get(10, TimeUnit.SECONDS);
				out.write(new byte[10]);
				out.flush();
				Integer afterTrickle = batches.poll(10, TimeUnit.SECONDS);
				assertThat(afterTrickle).as("second read batch").isNotNull();
				int inKernel = connection.eventLoop()
					.submit(() -> connection.config().getOption(ReadPathHeadHandler.SO_RCVLOWAT))
					.get(10, TimeUnit.SECONDS);
				connection.close().sync();
				return new Marks(first, afterTrickle, inKernel);
			}
			finally {
				server.close().sync();
			}
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
		}
	}

	private record Marks(int first, int afterTrickle, int inKernel) {
	}

}
