package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop groups and channel types shared by every gRPC channel and server.
 *
 * <p>
 * One boss group accepts connections; one worker group serves every client and accepted
 * connection. Both run on the transport {@link #select selected} once per application. On
 * io_uring each worker loop registers a {@link ReadBufferRing} that all its connections
 * receive into.
 */
public final class NettyTransport implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(NettyTransport.class);

	private final TransportType requested;

	private final TransportType type;

	private final String reason;

	private final @Nullable ReadBufferRing ring;

	private final EventLoopGroup bossGroup;

	private final EventLoopGroup workerGroup;

	private final Duration shutdownQuietPeriod;

	private final Duration shutdownTimeout;

	private NettyTransport(TransportType requested, TransportType type, String reason, int workerThreads,
			@Nullable ReadBufferRing ring, Duration shutdownQuietPeriod, Duration shutdownTimeout) {
		this.requested = requested;
		this.type = type;
		this.reason = reason;
		this.ring = (type == TransportType.IO_URING) ? ring : null;
		this.shutdownQuietPeriod = shutdownQuietPeriod;
		this.shutdownTimeout = shutdownTimeout;
		IoHandlerFactory bossHandlers = switch (type) {
			case EPOLL -> EpollIoHandler.newFactory();
			case IO_URING -> IoUringSupport.bossHandlers();
			default -> NioIoHandler.newFactory();
		};
		IoHandlerFactory workerHandlers = (type == TransportType.IO_URING)
				? IoUringSupport.workerHandlers(Objects.requireNonNull(ring, "ring"), workerThreads) : bossHandlers;
		String prefix = "grpc-ready-read-" + type.displayName();
		this.bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(prefix + "-boss", true),
				bossHandlers);
		this.workerGroup = new MultiThreadIoEventLoopGroup(workerThreads,
				new DefaultThreadFactory(prefix + "-worker", true), workerHandlers);
	}

	/**
	 * Resolves the transport {@code settings} ask for and starts its event loops with
	 * their worker threads, shutdown and io_uring read buffer rings.
	 * @param settings the settings
	 * @param ringAllocator the pool io_uring read buffer rings take their buffers from
	 * @return the started transport
	 * @throws IllegalStateException if epoll is requested where it is unavailable
	 * @throws IllegalArgumentException if io_uring is asked for and the ring settings are
	 * out of range
	 */
	public static NettyTransport select(TransportSettings settings, ByteBufAllocator ringAllocator) {
		// Rings only for io_uring: other transports neither use nor check their settings.
		ReadBufferRing ring = (settings.transport() == TransportType.IO_URING)
				? new ReadBufferRing(ringAllocator, settings.ringEntries(), settings.ringBufferSize()) : null;
		return select(settings.transport(), settings.workerThreads(), settings.shutdownQuietPeriod(),
				settings.shutdownTimeout(), ring);
	}

	/**
	 * Resolves the requested transport type and starts its event loops; io_uring rings
	 * take their buffers from Netty's default pool.
	 * @param requested the transport asked for
	 * @param workerThreads worker threads, 0 for twice the number of cores
	 * @param shutdownQuietPeriod quiet period of the graceful shutdown
	 * @param shutdownTimeout longest wait for the graceful shutdown
	 * @return the started transport
	 * @throws IllegalStateException if epoll is requested where it is unavailable
	 */
	public static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout) {
		return select(requested, workerThreads, shutdownQuietPeriod, shutdownTimeout, (ReadBufferRing) null);
	}

	/**
	 * Resolves the requested transport type and starts its event loops.
	 * @param requested the transport asked for
	 * @param workerThreads worker threads, 0 for twice the number of cores
	 * @param shutdownQuietPeriod quiet period of the graceful shutdown
	 * @param shutdownTimeout longest wait for the graceful shutdown
	 * @param ring the read buffer ring of io_uring worker loops, {@code null} for one of
	 * the default size on Netty's default pool
	 * @return the started transport
	 * @throws IllegalStateException if epoll is requested where it is unavailable
	 */
	public static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout, @Nullable ReadBufferRing ring) {
		Throwable ioUringCause = (requested == TransportType.IO_URING) ? IoUringSupport.unavailabilityCause() : null;
		return select(requested, workerThreads, shutdownQuietPeriod, shutdownTimeout, ring,
				Epoll.isAvailable() ? null : Epoll.unavailabilityCause(), ioUringCause);
	}

	static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout, @Nullable Throwable epollUnavailabilityCause) {
		return select(requested, workerThreads, shutdownQuietPeriod, shutdownTimeout, null, epollUnavailabilityCause,
				(requested == TransportType.IO_URING) ? IoUringSupport.unavailabilityCause() : null);
	}

	/**
	 * The selection itself, with the unavailability causes given (tests force the
	 * fallbacks with them).
	 */
	static NettyTransport select(TransportType requested, int workerThreads, Duration shutdownQuietPeriod,
			Duration shutdownTimeout, @Nullable ReadBufferRing ring, @Nullable Throwable epollUnavailabilityCause,
			@Nullable Throwable ioUringUnavailabilityCause) {
		int threads = (workerThreads > 0) ? workerThreads : 2 * Runtime.getRuntime().availableProcessors();
		boolean epoll = epollUnavailabilityCause == null;
		switch (requested) {
			case EPOLL -> {
				if (!epoll) {
					throw new IllegalStateException("grpc.ready-read.transport=epoll but native epoll is unavailable: "
							+ epollUnavailabilityCause, epollUnavailabilityCause);
				}
				return new NettyTransport(requested, TransportType.EPOLL, "requested", threads, null,
						shutdownQuietPeriod, shutdownTimeout);
			}
			case NIO -> {
				return new NettyTransport(requested, TransportType.NIO, "requested", threads, null, shutdownQuietPeriod,
						shutdownTimeout);
			}
			case IO_URING -> {
				if (ioUringUnavailabilityCause == null) {
					return new NettyTransport(requested, TransportType.IO_URING, "requested", threads,
							(ring != null) ? ring : ReadBufferRing.defaults(ByteBufAllocator.DEFAULT),
							shutdownQuietPeriod, shutdownTimeout);
				}
				String why = "io_uring unavailable: " + ioUringUnavailabilityCause;
				TransportType fallback = epoll ? TransportType.EPOLL : TransportType.NIO;
				if (!epoll) {
					why += "; native epoll unavailable: " + epollUnavailabilityCause;
				}
				logger.warn("grpc.ready-read.transport=io_uring but io_uring is unavailable, gRPC falls back to {}: {}",
						fallback.displayName(), why);
				return new NettyTransport(requested, fallback, why, threads, null, shutdownQuietPeriod,
						shutdownTimeout);
			}
			default -> {
				if (epoll) {
					return new NettyTransport(requested, TransportType.EPOLL, "native epoll available", threads, null,
							shutdownQuietPeriod, shutdownTimeout);
				}
				logger.info("Native epoll unavailable, gRPC falls back to NIO: {}", epollUnavailabilityCause);
				return new NettyTransport(requested, TransportType.NIO,
						"native epoll unavailable: " + epollUnavailabilityCause, threads, null, shutdownQuietPeriod,
						shutdownTimeout);
			}
		}
	}

	/**
	 * The transport in use: {@link TransportType#EPOLL}, {@link TransportType#IO_URING}
	 * or {@link TransportType#NIO}.
	 */
	public TransportType type() {
		return this.type;
	}

	/** The transport asked for. */
	public TransportType requested() {
		return this.requested;
	}

	/** Why this transport was chosen. */
	public String reason() {
		return this.reason;
	}

	/**
	 * Whether the requested transport could not be had (io_uring, or epoll under auto).
	 */
	public boolean isFallback() {
		return this.type == TransportType.NIO && this.requested != TransportType.NIO
				|| this.requested == TransportType.IO_URING && this.type != TransportType.IO_URING;
	}

	public boolean isEpoll() {
		return this.type == TransportType.EPOLL;
	}

	public boolean isIoUring() {
		return this.type == TransportType.IO_URING;
	}

	/**
	 * Whether connections wait for readable bytes in the kernel (epoll, io_uring) rather
	 * than in NIO's selector with sized reads only.
	 */
	public boolean isNative() {
		return this.type != TransportType.NIO;
	}

	/** The io_uring read buffer ring, or {@code null} on another transport. */
	public @Nullable ReadBufferRing readBufferRing() {
		return this.ring;
	}

	public EventLoopGroup bossGroup() {
		return this.bossGroup;
	}

	public EventLoopGroup workerGroup() {
		return this.workerGroup;
	}

	public Class<? extends Channel> socketChannelType() {
		return switch (this.type) {
			case EPOLL -> EpollSocketChannel.class;
			case IO_URING -> IoUringSupport.socketChannelType();
			default -> NioSocketChannel.class;
		};
	}

	public Class<? extends ServerChannel> serverChannelType() {
		return switch (this.type) {
			case EPOLL -> EpollServerSocketChannel.class;
			case IO_URING -> IoUringSupport.serverChannelType();
			default -> NioServerSocketChannel.class;
		};
	}

	/**
	 * Options every socket channel needs on this transport (client channels and accepted
	 * connections): on io_uring, the read buffer ring's group.
	 */
	public Map<ChannelOption<?>, Object> socketOptions() {
		return (this.type == TransportType.IO_URING) ? IoUringSupport.socketOptions() : Map.of();
	}

	/**
	 * Puts a client channel builder on these event loops (grpc-java wants the group and
	 * the channel type together), with {@code allocator} and {@link #socketOptions()}.
	 * @param builder the builder
	 * @param allocator allocator of the channel's connections
	 * @return the builder
	 */
	public NettyChannelBuilder configure(NettyChannelBuilder builder, ByteBufAllocator allocator) {
		builder.eventLoopGroup(this.workerGroup)
			.channelType(socketChannelType())
			.withOption(ChannelOption.ALLOCATOR, allocator);
		socketOptions().forEach((option, value) -> withOption(builder, option, value));
		return builder;
	}

	/**
	 * Puts a server builder on these event loops: boss and worker groups, the server
	 * channel type, {@code allocator} for the listening and accepted channels, and
	 * {@link #socketOptions()} for the accepted ones.
	 * @param builder the builder
	 * @param allocator allocator of the server's channels
	 * @return the builder
	 */
	public NettyServerBuilder configure(NettyServerBuilder builder, ByteBufAllocator allocator) {
		builder.bossEventLoopGroup(this.bossGroup)
			.workerEventLoopGroup(this.workerGroup)
			.channelType(serverChannelType())
			.withOption(ChannelOption.ALLOCATOR, allocator)
			.withChildOption(ChannelOption.ALLOCATOR, allocator);
		socketOptions().forEach((option, value) -> withChildOption(builder, option, value));
		return builder;
	}

	@SuppressWarnings("unchecked")
	private static <T> void withOption(NettyChannelBuilder builder, ChannelOption<T> option, Object value) {
		builder.withOption(option, (T) value);
	}

	@SuppressWarnings("unchecked")
	private static <T> void withChildOption(NettyServerBuilder builder, ChannelOption<T> option, Object value) {
		builder.withChildOption(option, (T) value);
	}

	/** Shuts both groups down gracefully and waits for their threads to end. */
	@Override
	public void close() {
		long quiet = this.shutdownQuietPeriod.toMillis();
		long timeout = this.shutdownTimeout.toMillis();
		try {
			this.bossGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS);
		}
		finally {
			this.workerGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS);
		}
		try {
			this.bossGroup.terminationFuture().await(timeout + 1000);
			this.workerGroup.terminationFuture().await(timeout + 1000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
