package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;

/**
 * Prepares a connection for the ready-read path: its {@link ReadDemand}, its
 * {@link ReadyReadRecvByteBufAllocator} and its {@link ReadPathHeadHandler}.
 *
 * <p>
 * Call {@link #prepare} before the channel's first read, e.g. from a negotiation
 * handler's {@code handlerAdded}; then give the demand it returns to the connection's
 * outermost decoder (the {@link Http2FrameAligner} on plaintext, the record decoder on
 * ALTS), which keeps it up to date.
 */
public final class ReadyReadChannels {

	/** Read size until the outermost decoder says otherwise: one frame header. */
	public static final int INITIAL_READ_SIZE = Http2FrameAligner.FRAME_HEADER_LENGTH;

	/**
	 * Largest read where no size is configured: 64 KiB, as Netty's own read loop, so a
	 * streaming {@link ReadSizing#ADAPTIVE} read takes several frames at once.
	 * {@link ReadSizing#EXACT} reads are sized to one HTTP/2 frame (at most 16 KiB) and
	 * its neighbours' headers whatever this is; a smaller maximum splits those frames
	 * over several reads.
	 */
	public static final int DEFAULT_MAX_READ_SIZE = 64 * 1024;

	private static final String EPOLL_SOCKET_CHANNEL = "io.netty.channel.epoll.EpollSocketChannel";

	private static final String IO_URING_SOCKET_CHANNEL = "io.netty.channel.uring.IoUringSocketChannel";

	private static final int DEFAULT_MAX_MESSAGES_PER_READ = 16;

	private ReadyReadChannels() {
	}

	/**
	 * Installs the demand, the receive buffer allocator and the head handler (with the
	 * {@code SO_RCVLOWAT} low-water mark on epoll) for {@link ReadSizing#ADAPTIVE} reads,
	 * and the {@link WritableRefillHandler} behind it, and counts the connection in
	 * {@code stats} until it closes.
	 * @param channel a connection that has not read yet
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer
	 * @return the connection's demand, for its outermost decoder
	 * @throws IllegalStateException if the channel was prepared already
	 */
	public static ReadDemand prepare(Channel channel, ReadPathStats stats, int maxReadSize) {
		return prepare(channel, stats, maxReadSize, ReadSizing.ADAPTIVE, true);
	}

	/**
	 * As {@link #prepare(Channel, ReadPathStats, int)}, with the read sizing chosen and
	 * the low-water mark optional (to measure what it brings).
	 * @param channel a connection that has not read yet
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer
	 * @param sizing how large reads are
	 * @param lowWaterMark whether epoll connections use {@code SO_RCVLOWAT}
	 * @return the connection's demand, for its outermost decoder
	 * @throws IllegalStateException if the channel was prepared already
	 */
	public static ReadDemand prepare(Channel channel, ReadPathStats stats, int maxReadSize, ReadSizing sizing,
			boolean lowWaterMark) {
		if (channel.pipeline().get(ReadPathHeadHandler.class) != null) {
			throw new IllegalStateException("Channel " + channel + " is already prepared for ready-read");
		}
		ReadDemand demand = new ReadDemand(maxReadSize, INITIAL_READ_SIZE);
		// An io_uring receive takes whatever is queued into a ring buffer: no read
		// size to limit, and a low-water mark cannot keep a tail in the kernel.
		boolean ring = isIoUringSocket(channel);
		boolean epoll = lowWaterMark && isEpollSocket(channel);
		ChannelConfig config = channel.config();
		RecvByteBufAllocator current = config.getRecvByteBufAllocator();
		int maxMessages = (current instanceof MaxMessagesRecvByteBufAllocator maxMessagesAllocator)
				? maxMessagesAllocator.maxMessagesPerRead() : DEFAULT_MAX_MESSAGES_PER_READ;
		boolean oneReadPerWakeup = epoll && sizing == ReadSizing.EXACT;
		// Large frames held whole are read exactly (a header alone, then the frame
		// whole);
		// the mark keeps a trickled rest in the kernel.
		demand.frameRestReads(epoll && sizing == ReadSizing.ADAPTIVE);
		config.setRecvByteBufAllocator(
				new ReadyReadRecvByteBufAllocator(demand, stats, maxMessages, sizing, oneReadPerWakeup));
		addHead(channel, new ReadPathHeadHandler(demand, stats, sizing, epoll, ring));
		stats.track(channel);
		return demand;
	}

	/**
	 * Counts a connection on the conventional read path in {@code stats} until it closes:
	 * the connection itself and, with a counting-only {@link ReadPathHeadHandler} put
	 * first in its pipeline, the bytes it reads; puts the {@link WritableRefillHandler}
	 * behind it. Does nothing to a channel already counted that way or prepared with
	 * {@link #prepare}.
	 * @param channel a connection that has not read yet
	 * @param stats the owner's figures
	 */
	public static void track(Channel channel, ReadPathStats stats) {
		if (channel.pipeline().get(ReadPathHeadHandler.class) == null) {
			addHead(channel, ReadPathHeadHandler.countingOnly(stats));
		}
		stats.track(channel);
	}

	/**
	 * Puts {@code head} first in the connection's pipeline and the
	 * {@link WritableRefillHandler} right behind it.
	 */
	private static void addHead(Channel channel, ReadPathHeadHandler head) {
		channel.pipeline().addFirst(new WritableRefillHandler());
		channel.pipeline().addFirst(head);
	}

	/**
	 * Whether {@code channel} is an epoll TCP socket, where the low-water mark is used.
	 */
	public static boolean isEpollSocket(Channel channel) {
		return isA(channel, EPOLL_SOCKET_CHANNEL);
	}

	/**
	 * Whether {@code channel} is an io_uring TCP socket, which receives into the event
	 * loop's shared read buffer ring.
	 */
	public static boolean isIoUringSocket(Channel channel) {
		return isA(channel, IO_URING_SOCKET_CHANNEL);
	}

	private static boolean isA(Channel channel, String className) {
		for (Class<?> type = channel.getClass(); type != null; type = type.getSuperclass()) {
			if (className.equals(type.getName())) {
				return true;
			}
		}
		return false;
	}

}
