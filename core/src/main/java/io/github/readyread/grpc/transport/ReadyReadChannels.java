package io.github.readyread.grpc.transport;

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
	 * Largest read where no size is configured: one maximum-size HTTP/2 frame, its header
	 * and the next frame's header. A larger maximum changes nothing on plaintext
	 * connections, whose reads are sized to frames of at most 16 KiB; a smaller one
	 * splits those frames over several reads.
	 */
	public static final int DEFAULT_MAX_READ_SIZE = Http2FrameAligner.DEFAULT_MAX_FRAME_SIZE
			+ 2 * Http2FrameAligner.FRAME_HEADER_LENGTH;

	private static final String EPOLL_SOCKET_CHANNEL = "io.netty.channel.epoll.EpollSocketChannel";

	private static final int DEFAULT_MAX_MESSAGES_PER_READ = 16;

	private ReadyReadChannels() {
	}

	/**
	 * Installs the demand, the receive buffer allocator and the head handler (with the
	 * {@code SO_RCVLOWAT} low-water mark on epoll) and counts the connection in
	 * {@code stats} until it closes.
	 * @param channel a connection that has not read yet
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer
	 * @return the connection's demand, for its outermost decoder
	 * @throws IllegalStateException if the channel was prepared already
	 */
	public static ReadDemand prepare(Channel channel, ReadPathStats stats, int maxReadSize) {
		return prepare(channel, stats, maxReadSize, true);
	}

	/**
	 * As {@link #prepare(Channel, ReadPathStats, int)}, with the low-water mark optional
	 * (to measure what it brings).
	 */
	public static ReadDemand prepare(Channel channel, ReadPathStats stats, int maxReadSize, boolean lowWaterMark) {
		if (channel.pipeline().get(ReadPathHeadHandler.class) != null) {
			throw new IllegalStateException("Channel " + channel + " is already prepared for ready-read");
		}
		ReadDemand demand = new ReadDemand(maxReadSize, INITIAL_READ_SIZE);
		boolean epoll = lowWaterMark && isEpollSocket(channel);
		ChannelConfig config = channel.config();
		RecvByteBufAllocator current = config.getRecvByteBufAllocator();
		int maxMessages = (current instanceof MaxMessagesRecvByteBufAllocator maxMessagesAllocator)
				? maxMessagesAllocator.maxMessagesPerRead() : DEFAULT_MAX_MESSAGES_PER_READ;
		config.setRecvByteBufAllocator(new ReadyReadRecvByteBufAllocator(demand, stats, maxMessages, epoll));
		channel.pipeline().addFirst(new ReadPathHeadHandler(demand, stats, epoll));
		stats.track(channel);
		return demand;
	}

	/**
	 * Counts a connection on the conventional read path in {@code stats} until it closes:
	 * the connection itself and, with a counting-only {@link ReadPathHeadHandler} put
	 * first in its pipeline, the bytes it reads. Does nothing to a channel already
	 * counted that way or prepared with {@link #prepare}.
	 * @param channel a connection that has not read yet
	 * @param stats the owner's figures
	 */
	public static void track(Channel channel, ReadPathStats stats) {
		if (channel.pipeline().get(ReadPathHeadHandler.class) == null) {
			channel.pipeline().addFirst(ReadPathHeadHandler.countingOnly(stats));
		}
		stats.track(channel);
	}

	/**
	 * Whether {@code channel} is an epoll TCP socket, where the low-water mark is used.
	 */
	public static boolean isEpollSocket(Channel channel) {
		for (Class<?> type = channel.getClass(); type != null; type = type.getSuperclass()) {
			if (EPOLL_SOCKET_CHANNEL.equals(type.getName())) {
				return true;
			}
		}
		return false;
	}

}
