package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop groups and channel types shared by every gRPC channel and server.
 *
 * <p>
 * One boss group accepts connections; one worker group serves every client and accepted
 * connection. Both run on the transport {@link #select selected} once per application.
 */
public final class NettyTransport implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(NettyTransport.class);

	private final TransportType type;

	private final String reason;

	private final EventLoopGroup bossGroup;

	private final EventLoopGroup workerGroup;

	private final Duration shutdownQuietPeriod;

	private final Duration shutdownTimeout;

	private NettyTransport(TransportType type, String reason, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout) {
		this.type = type;
		this.reason = reason;
		this.shutdownQuietPeriod = shutdownQuietPeriod;
		this.shutdownTimeout = shutdownTimeout;
		IoHandlerFactory handlers = (type == TransportType.EPOLL) ? EpollIoHandler.newFactory()
				: NioIoHandler.newFactory();
		String prefix = "grpc-ready-read-" + type.displayName();
		this.bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(prefix + "-boss", true), handlers);
		this.workerGroup = new MultiThreadIoEventLoopGroup(workerThreads,
				new DefaultThreadFactory(prefix + "-worker", true), handlers);
	}

	/**
	 * Resolves the requested transport type and starts its event loops.
	 * @param requested the transport asked for
	 * @param workerThreads worker threads, 0 for twice the number of cores
	 * @param shutdownQuietPeriod quiet period of the graceful shutdown
	 * @param shutdownTimeout longest wait for the graceful shutdown
	 * @return the started transport
	 * @throws IllegalStateException if epoll is requested where it is unavailable
	 */
	public static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout) {
		return select(requested, workerThreads, shutdownQuietPeriod, shutdownTimeout,
				Epoll.isAvailable() ? null : Epoll.unavailabilityCause());
	}

	static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout, Throwable epollUnavailabilityCause) {
		int threads = (workerThreads > 0) ? workerThreads : 2 * Runtime.getRuntime().availableProcessors();
		boolean epoll = epollUnavailabilityCause == null;
		switch (requested) {
			case EPOLL -> {
				if (!epoll) {
					throw new IllegalStateException("grpc.ready-read.transport=epoll but native epoll is unavailable: "
							+ epollUnavailabilityCause, epollUnavailabilityCause);
				}
				return new NettyTransport(TransportType.EPOLL, "requested", threads, shutdownQuietPeriod,
						shutdownTimeout);
			}
			case NIO -> {
				return new NettyTransport(TransportType.NIO, "requested", threads, shutdownQuietPeriod,
						shutdownTimeout);
			}
			default -> {
				if (epoll) {
					return new NettyTransport(TransportType.EPOLL, "native epoll available", threads,
							shutdownQuietPeriod, shutdownTimeout);
				}
				logger.info("Native epoll unavailable, gRPC falls back to NIO: {}", epollUnavailabilityCause);
				return new NettyTransport(TransportType.NIO, "native epoll unavailable: " + epollUnavailabilityCause,
						threads, shutdownQuietPeriod, shutdownTimeout);
			}
		}
	}

	/** The transport in use, {@link TransportType#EPOLL} or {@link TransportType#NIO}. */
	public TransportType type() {
		return this.type;
	}

	/** Why this transport was chosen. */
	public String reason() {
		return this.reason;
	}

	public boolean isEpoll() {
		return this.type == TransportType.EPOLL;
	}

	public EventLoopGroup bossGroup() {
		return this.bossGroup;
	}

	public EventLoopGroup workerGroup() {
		return this.workerGroup;
	}

	public Class<? extends Channel> socketChannelType() {
		return isEpoll() ? EpollSocketChannel.class : NioSocketChannel.class;
	}

	public Class<? extends ServerChannel> serverChannelType() {
		return isEpoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
	}

	/** Shuts both groups down gracefully and waits for their threads to end. */
	@Override
	public void close() {
		long quiet = this.shutdownQuietPeriod.toMillis();
		long timeout = this.shutdownTimeout.toMillis();
		this.bossGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS);
		this.workerGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS);
		try {
			this.bossGroup.terminationFuture().await(timeout + 1000);
			this.workerGroup.terminationFuture().await(timeout + 1000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
