package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * Puts grpc-netty channel and server builders on the shared event loops, the shared pool
 * and the configured read path, all together (grpc-java rejects an event loop group
 * without its channel type).
 *
 * <p>
 * Connections keep the security the application gave the builder: the ready-read
 * negotiator replaces only grpc-java's plaintext one (or secures with ALTS a builder that
 * is plaintext); TLS and negotiators the application installed stay in place.
 *
 * <p>
 * Also keeps the figures of every channel and of the server for observability, each under
 * its {@link Owner}.
 */
public final class ReadyReadTransport {

	private final NettyTransport transport;

	private final PooledBufferAllocator pool;

	private final ReadPath readPath;

	private final int readBufferSize;

	private final ReadSizing readSizing;

	private final Map<Owner, ChannelInfo> owners = new ConcurrentHashMap<>();

	private final Map<Owner, ReadPathStats> stats = new ConcurrentHashMap<>();

	private final Map<EventExecutor, ScheduledFuture<?>> trimTasks = new ConcurrentHashMap<>();

	/**
	 * A transport whose ready read path sizes its reads adaptively.
	 * @param transport shared event loops and channel types
	 * @param pool the one pool
	 * @param readPath read path of new connections
	 * @param readBufferSize largest read buffer in bytes
	 * @param cacheTrimInterval how often event loops trim their pool caches, zero for
	 * never
	 */
	public ReadyReadTransport(NettyTransport transport, PooledBufferAllocator pool, ReadPath readPath,
			int readBufferSize, Duration cacheTrimInterval) {
		this(transport, pool, readPath, readBufferSize, ReadSizing.ADAPTIVE, cacheTrimInterval);
	}

	/**
	 * A transport on the given event loops and pool, trimming their caches from now on.
	 * @param transport shared event loops and channel types
	 * @param pool the one pool
	 * @param readPath read path of new connections
	 * @param readBufferSize largest read buffer in bytes
	 * @param readSizing how large the ready read path's reads are
	 * @param cacheTrimInterval how often event loops trim their pool caches, zero for
	 * never
	 */
	public ReadyReadTransport(NettyTransport transport, PooledBufferAllocator pool, ReadPath readPath,
			int readBufferSize, ReadSizing readSizing, Duration cacheTrimInterval) {
		if (readSizing == null) {
			throw new NullPointerException("readSizing is required");
		}
		this.readSizing = readSizing;
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
	 * Configures a client channel builder, after the application has set its security.
	 * <p>
	 * A plaintext builder gets the ready-read negotiator, or {@code alts}; a TLS or
	 * custom one keeps its negotiator and read path.
	 * @param builder the builder
	 * @param name the channel's name
	 * @param target the channel's target, for display
	 * @param alts negotiator of an ALTS channel, or {@code null}
	 * @return what was configured
	 * @throws IllegalStateException if {@code alts} is given for a builder that is not
	 * plaintext
	 */
	public ChannelInfo configure(NettyChannelBuilder builder, String name, String target,
			GrpcNettyBridge.@Nullable Negotiator alts) {
		ConnectionSecurity installed = GrpcNettyBridge.installedSecurity(builder);
		Owner owner = Owner.channel(name);
		ConnectionSecurity security = security(owner, installed, alts);
		this.transport.configure(builder, this.pool.allocator());
		if (security.isOurs()) {
			GrpcNettyBridge.install(builder, negotiator(false, alts, statsFor(owner)), alts != null);
		}
		return register(owner, target, security);
	}

	/**
	 * Configures the server builder, after the application has set its security.
	 * <p>
	 * A plaintext builder gets the ready-read negotiator, or {@code alts}; a TLS or
	 * custom one keeps its negotiator and read path.
	 * @param builder the builder
	 * @param alts negotiator of an ALTS server, or {@code null}
	 * @return what was configured
	 * @throws IllegalStateException if {@code alts} is given for a builder that is not
	 * plaintext
	 */
	public ChannelInfo configure(NettyServerBuilder builder, GrpcNettyBridge.@Nullable Negotiator alts) {
		ConnectionSecurity security = security(Owner.server(), GrpcNettyBridge.installedSecurity(builder), alts);
		this.transport.configure(builder, this.pool.allocator());
		if (security.isOurs()) {
			GrpcNettyBridge.install(builder, negotiator(true, alts, serverStats()), alts != null);
		}
		return register(Owner.server(), "", security);
	}

	private static ConnectionSecurity security(Owner owner, ConnectionSecurity installed,
			GrpcNettyBridge.@Nullable Negotiator alts) {
		if (alts == null) {
			return installed;
		}
		if (installed != ConnectionSecurity.PLAINTEXT) {
			throw new IllegalStateException(owner + " already has " + installed.displayName()
					+ " security; ALTS can only secure a plaintext builder");
		}
		return ConnectionSecurity.ALTS;
	}

	/**
	 * Our negotiator: the ALTS one prepared for the read path, or our plaintext one.
	 */
	private GrpcNettyBridge.Negotiator negotiator(boolean server, GrpcNettyBridge.@Nullable Negotiator alts,
			ReadPathStats stats) {
		if (alts != null) {
			if (this.readPath != ReadPath.READY) {
				return ReadyReadNegotiators.counted(alts, stats);
			}
			if (!(alts instanceof RecordLayerNegotiator recordLayer)) {
				throw new IllegalArgumentException(
						"The ready read path needs a RecordLayerNegotiator for ALTS, got " + alts.getClass().getName());
			}
			return ReadyReadNegotiators.secured(recordLayer, stats, this.readBufferSize, this.readSizing);
		}
		// The ready negotiator tracks its connections itself, as it prepares them.
		GrpcNettyBridge.Negotiator ours = ReadyReadNegotiators.plaintext(server, this.readPath, stats,
				this.readBufferSize, this.readSizing, true);
		return (this.readPath == ReadPath.READY) ? ours : ReadyReadNegotiators.beforeHandshake(ours, stats::track);
	}

	private ChannelInfo register(Owner owner, String target, ConnectionSecurity security) {
		boolean ready = security.isOurs() && this.readPath == ReadPath.READY;
		ChannelInfo info = new ChannelInfo(owner, target, security.displayName(), ready ? "ready" : "conventional");
		this.owners.put(owner, info);
		return info;
	}

	/**
	 * Makes the handler placed between a secure record layer and grpc's HTTP/2 handler:
	 * the HTTP/2 frame aligner on the ready read path, none on the conventional one.
	 * @param server whether it serves accepted connections
	 * @param stats the owner's figures
	 * @return the factory, or {@code null} for none
	 */
	public @Nullable Supplier<ChannelHandler> plaintextStage(boolean server, ReadPathStats stats) {
		if (this.readPath != ReadPath.READY) {
			return null;
		}
		return () -> Http2FrameAligner.behindRecordDecoder(server, stats);
	}

	/**
	 * The figures of one owner, created on demand.
	 * @param owner the server or a client channel
	 * @return the figures
	 */
	public ReadPathStats statsFor(Owner owner) {
		return this.stats.computeIfAbsent(owner, (key) -> new ReadPathStats(key.name()));
	}

	/**
	 * The figures of the client channel named {@code channelName}, created on demand.
	 * @param channelName the channel's name
	 * @return the figures
	 */
	public ReadPathStats statsFor(String channelName) {
		return statsFor(Owner.channel(channelName));
	}

	/**
	 * The figures of the server, created on demand.
	 * @return the figures
	 */
	public ReadPathStats serverStats() {
		return statsFor(Owner.server());
	}

	/** Figures of every owner seen so far. */
	public Map<Owner, ReadPathStats> stats() {
		return Collections.unmodifiableMap(this.stats);
	}

	/** The configured server and client channels. */
	public Map<Owner, ChannelInfo> owners() {
		return Collections.unmodifiableMap(this.owners);
	}

	/** Every configured client channel, by name. */
	public Map<String, ChannelInfo> channels() {
		Map<String, ChannelInfo> channels = new TreeMap<>();
		this.owners.forEach((owner, info) -> {
			if (!owner.isServer()) {
				channels.put(owner.name(), info);
			}
		});
		return Collections.unmodifiableMap(channels);
	}

	/**
	 * The configured server.
	 * @return the server, or {@code null} if none was configured
	 */
	public @Nullable ChannelInfo server() {
		return this.owners.get(Owner.server());
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

	public ReadSizing readSizing() {
		return this.readSizing;
	}

	/**
	 * {@code ready-read} when connections run the ready read path on the native transport
	 * asked for (epoll, or io_uring), else {@code fallback}.
	 */
	public String mode() {
		return (fallbackReason() == null) ? "ready-read" : "fallback";
	}

	/** Why the mode is a fallback, or {@code null} in ready-read mode. */
	public @Nullable String fallbackReason() {
		if (!this.transport.isNative()) {
			return "transport is NIO (" + this.transport.reason() + "); sized reads without kernel-side waiting";
		}
		if (this.transport.isFallback()) {
			return "transport is " + this.transport.type().displayName() + " (" + this.transport.reason() + ")";
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
	 * Whose connections a set of figures belongs to: the server, or a client channel by
	 * name. A channel named {@code server} is not the server.
	 *
	 * @param isServer whether it is the server
	 * @param name the channel's name, {@code server} for the server
	 */
	public record Owner(boolean isServer, String name) {

		private static final Owner SERVER = new Owner(true, "server");

		public Owner {
			if (name == null || (isServer && !"server".equals(name))) {
				throw new IllegalArgumentException("Invalid owner name " + name);
			}
		}

		/** The gRPC server. */
		public static Owner server() {
			return SERVER;
		}

		/** The client channel named {@code name}. */
		public static Owner channel(String name) {
			return new Owner(false, name);
		}

		@Override
		public String toString() {
			return this.isServer ? "gRPC server" : "gRPC channel '" + this.name + "'";
		}

	}

	/**
	 * A configured client channel or the server.
	 *
	 * @param owner the server or the channel
	 * @param target target address, empty for the server
	 * @param security {@code plaintext}, {@code alts}, {@code tls},
	 * {@code plaintext-upgrade} or {@code custom}
	 * ({@link ConnectionSecurity#displayName()})
	 * @param readPath {@code ready} or {@code conventional}
	 */
	public record ChannelInfo(Owner owner, String target, String security, String readPath) {

		/** The channel's name, {@code server} for the server. */
		public String name() {
			return this.owner.name();
		}

	}

}
