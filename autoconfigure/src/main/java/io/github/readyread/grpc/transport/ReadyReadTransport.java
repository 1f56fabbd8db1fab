package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Puts grpc-netty channel and server builders on the shared event loops, the shared pool
 * and the configured read path, all together (grpc-java rejects an event loop group
 * without its channel type).
 *
 * <p>
 * Also keeps the figures of every channel and of the server for observability.
 */
public final class ReadyReadTransport {

	/** Owner name under which the server's connections are counted. */
	public static final String SERVER = "server";

	private final NettyTransport transport;

	private final PooledBufferAllocator pool;

	private final ReadPath readPath;

	private final int readBufferSize;

	private final Map<String, ChannelInfo> channels = new ConcurrentHashMap<>();

	private final Map<String, ReadPathStats> stats = new ConcurrentHashMap<>();

	private final Map<EventExecutor, ScheduledFuture<?>> trimTasks = new ConcurrentHashMap<>();

	/**
	 * @param transport shared event loops and channel types
	 * @param pool the one pool
	 * @param readPath read path of new connections
	 * @param readBufferSize largest read buffer in bytes
	 * @param cacheTrimInterval how often event loops trim their pool caches, zero for
	 * never
	 */
	public ReadyReadTransport(NettyTransport transport, PooledBufferAllocator pool, ReadPath readPath,
			int readBufferSize, Duration cacheTrimInterval) {
		if (readBufferSize < 1024) {
			throw new IllegalArgumentException("Read buffer size must be at least 1KB, was " + readBufferSize);
		}
		this.transport = transport;
		this.pool = pool;
		this.readPath = readPath;
		this.readBufferSize = readBufferSize;
		if (!cacheTrimInterval.isZero() && pool.settings().threadCaches()) {
			long millis = cacheTrimInterval.toMillis();
			for (EventExecutor executor : transport.workerGroup()) {
				this.trimTasks.put(executor, executor.scheduleAtFixedRate(pool::trimCurrentThreadCache, millis, millis,
						TimeUnit.MILLISECONDS));
			}
		}
	}

	/**
	 * Configures a client channel builder.
	 * @param builder the builder
	 * @param name the channel's name
	 * @param target the channel's target, for display
	 * @param secureNegotiator negotiator of an ALTS channel, or {@code null}
	 * @param plaintext whether a channel without {@code secureNegotiator} is plaintext;
	 * if not (TLS), grpc-java's own negotiator and read path stay in place
	 */
	public void configure(NettyChannelBuilder builder, String name, String target,
			GrpcNettyBridge.Negotiator secureNegotiator, boolean plaintext) {
		builder.eventLoopGroup(this.transport.workerGroup())
			.channelType(this.transport.socketChannelType())
			.withOption(ChannelOption.ALLOCATOR, this.pool.allocator());
		GrpcNettyBridge.Negotiator negotiator = negotiator(false, secureNegotiator, plaintext, statsFor(name));
		if (negotiator != null) {
			GrpcNettyBridge.install(builder, negotiator, secureNegotiator != null);
		}
		register(name, target, secureNegotiator, plaintext);
	}

	/**
	 * Configures the server builder.
	 * @param builder the builder
	 * @param secureNegotiator negotiator of an ALTS server, or {@code null}
	 * @param plaintext whether a server without {@code secureNegotiator} is plaintext; if
	 * not (TLS), grpc-java's own negotiator and read path stay in place
	 */
	public void configure(NettyServerBuilder builder, GrpcNettyBridge.Negotiator secureNegotiator, boolean plaintext) {
		builder.bossEventLoopGroup(this.transport.bossGroup())
			.workerEventLoopGroup(this.transport.workerGroup())
			.channelType(this.transport.serverChannelType())
			.withOption(ChannelOption.ALLOCATOR, this.pool.allocator())
			.withChildOption(ChannelOption.ALLOCATOR, this.pool.allocator());
		GrpcNettyBridge.Negotiator negotiator = negotiator(true, secureNegotiator, plaintext, statsFor(SERVER));
		if (negotiator != null) {
			GrpcNettyBridge.install(builder, negotiator, secureNegotiator != null);
		}
		register(SERVER, "", secureNegotiator, plaintext);
	}

	/**
	 * The negotiator to install: the secure one prepared for the read path, our plaintext
	 * one, or {@code null} to leave grpc-java's (TLS) in place.
	 */
	private GrpcNettyBridge.Negotiator negotiator(boolean server, GrpcNettyBridge.Negotiator secureNegotiator,
			boolean plaintext, ReadPathStats stats) {
		if (secureNegotiator != null) {
			return (this.readPath == ReadPath.READY)
					? ReadyReadNegotiators.secured(secureNegotiator, stats, this.readBufferSize)
					: ReadyReadNegotiators.counted(secureNegotiator, stats);
		}
		if (plaintext) {
			// The ready negotiator tracks its connections itself, as it prepares them.
			GrpcNettyBridge.Negotiator ours = ReadyReadNegotiators.plaintext(server, this.readPath, stats,
					this.readBufferSize, true);
			return (this.readPath == ReadPath.READY) ? ours : ReadyReadNegotiators.beforeHandshake(ours, stats::track);
		}
		return null;
	}

	private void register(String name, String target, GrpcNettyBridge.Negotiator secureNegotiator, boolean plaintext) {
		String security = (secureNegotiator != null) ? "alts" : (plaintext ? "plaintext" : "tls");
		boolean ready = (secureNegotiator != null || plaintext) && this.readPath == ReadPath.READY;
		this.channels.put(name, new ChannelInfo(name, target, security, ready ? "ready" : "conventional"));
	}

	/**
	 * Makes the handler placed between a secure record layer and grpc's HTTP/2 handler:
	 * the HTTP/2 frame aligner on the ready read path, none on the conventional one.
	 * @param server whether it serves accepted connections
	 * @param stats the owner's figures
	 * @return the factory, or {@code null} for none
	 */
	public Supplier<ChannelHandler> plaintextStage(boolean server, ReadPathStats stats) {
		if (this.readPath != ReadPath.READY) {
			return null;
		}
		return () -> Http2FrameAligner.behindRecordDecoder(server, stats);
	}

	/**
	 * The figures of one owner (a channel name or {@link #SERVER}), created on demand.
	 */
	public ReadPathStats statsFor(String owner) {
		return this.stats.computeIfAbsent(owner, ReadPathStats::new);
	}

	/** Figures of every owner seen so far. */
	public Map<String, ReadPathStats> stats() {
		return Collections.unmodifiableMap(this.stats);
	}

	/** Every configured channel and the server, by name. */
	public Map<String, ChannelInfo> channels() {
		return Collections.unmodifiableMap(this.channels);
	}

	public NettyTransport transport() {
		return this.transport;
	}

	public PooledBufferAllocator pool() {
		return this.pool;
	}

	public ReadPath readPath() {
		return this.readPath;
	}

	public int readBufferSize() {
		return this.readBufferSize;
	}

	/**
	 * {@code ready-read} when connections run the ready read path on epoll, else
	 * {@code fallback}.
	 */
	public String mode() {
		return (this.transport.isEpoll() && this.readPath == ReadPath.READY) ? "ready-read" : "fallback";
	}

	/** Why the mode is a fallback, or {@code null} in ready-read mode. */
	public String fallbackReason() {
		if (!this.transport.isEpoll()) {
			return "transport is NIO (" + this.transport.reason() + "); sized reads without kernel-side waiting";
		}
		if (this.readPath != ReadPath.READY) {
			return "grpc.ready-read.read-path=conventional";
		}
		return null;
	}

	/** Stops the periodic cache trimming; the event loops are closed by their owner. */
	public void close() {
		this.trimTasks.values().forEach((task) -> task.cancel(false));
		this.trimTasks.clear();
	}

	/**
	 * A configured client channel or the server.
	 *
	 * @param name channel name, or {@code server}
	 * @param target target address, empty for the server
	 * @param security {@code plaintext}, {@code alts} or {@code tls}
	 * @param readPath {@code ready} or {@code conventional}
	 */
	public record ChannelInfo(String name, String target, String security, String readPath) {
	}

}
