package io.github.readyread.grpc.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.github.readyread.grpc.transport.internal.ReadyReadNegotiators;
import io.github.readyread.grpc.transport.internal.RecordLayerNegotiator;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * Puts grpc-netty channel and server builders on the shared event loops, the shared pool
 * and the configured read path, all together (grpc-java rejects an event loop group
 * without its channel type), with the {@link TransportSecurity} the application asked
 * for; registers each in the {@link ReadPathRegistry}.
 *
 * <p>
 * The ready-read negotiators replace only grpc-java's plaintext one: TLS and negotiators
 * the application installed stay in place ({@link TransportSecurity#kept()}). Event loops
 * trim their pool caches every {@code cacheTrimInterval} of the pool's settings.
 */
public final class ReadyReadTransport {

	private final NettyTransport eventLoops;

	private final PooledBufferAllocator pool;

	private final TransportSettings settings;

	private final ReadPathRegistry registry;

	private final List<ScheduledFuture<?>> trimTasks = new ArrayList<>();

	/**
	 * A transport that puts builders on {@code eventLoops}, {@code pool} and the read
	 * path {@code settings} say.
	 * @param eventLoops shared event loops and channel types
	 * @param pool the one pool
	 * @param settings how connections read ({@link TransportSettings#readPath()},
	 * {@link TransportSettings#readBufferSize()}, {@link TransportSettings#readSizing()},
	 * {@link TransportSettings#dataFrames()})
	 * @param registry where configured channels and the server are registered
	 */
	public ReadyReadTransport(NettyTransport eventLoops, PooledBufferAllocator pool, TransportSettings settings,
			ReadPathRegistry registry) {
		if (eventLoops == null || pool == null || settings == null || registry == null) {
			throw new NullPointerException("eventLoops, pool, settings and registry are required");
		}
		this.eventLoops = eventLoops;
		this.pool = pool;
		this.settings = settings;
		this.registry = registry;
		long trimMillis = pool.settings().cacheTrimInterval().toMillis();
		if (trimMillis > 0 && pool.settings().threadCaches()) {
			for (EventExecutor executor : eventLoops.workerGroup()) {
				this.trimTasks.add(executor.scheduleAtFixedRate(pool::trimCurrentThreadCache, trimMillis, trimMillis,
						TimeUnit.MILLISECONDS));
			}
		}
	}

	/**
	 * Configures a client channel builder, after the application has set its security.
	 * @param builder the builder
	 * @param name the channel's name
	 * @param target the channel's target, for display
	 * @param security what the application asked for the channel's connections
	 * @return the channel's registration
	 * @throws IllegalStateException if {@code security} does not fit the builder's (see
	 * {@link TransportSecurity})
	 */
	public Registration configure(NettyChannelBuilder builder, String name, String target, TransportSecurity security) {
		Owner owner = Owner.channel(name);
		Registration channel = register(owner, target, GrpcNettyBridge.installedSecurity(builder), security);
		this.eventLoops.configure(builder, this.pool.allocator());
		if (!(security instanceof TransportSecurity.Kept)) {
			GrpcNettyBridge.install(builder,
					negotiator(false, security, channel.stats(), ConnectionInstrumentation.NONE),
					security instanceof TransportSecurity.Alts);
		}
		return channel;
	}

	/**
	 * Configures the server builder, after the application has set its security.
	 * @param builder the builder
	 * @param security what the application asked for the server's connections
	 * @return the server's registration
	 * @throws IllegalStateException if {@code security} does not fit the builder's (see
	 * {@link TransportSecurity})
	 */
	public Registration configure(NettyServerBuilder builder, TransportSecurity security) {
		return configure(builder, security, ConnectionInstrumentation.NONE);
	}

	/**
	 * Configures the server builder, after the application has set its security, with
	 * handlers an instrumentation adds to each connection (for benchmarks and tests).
	 * @param builder the builder
	 * @param security what the application asked for the server's connections
	 * @param instrumentation the handlers to add
	 * @return the server's registration
	 * @throws IllegalStateException if {@code security} does not fit the builder's (see
	 * {@link TransportSecurity})
	 * @throws IllegalArgumentException if {@code instrumentation} adds handlers to
	 * {@link TransportSecurity#kept() kept} security (no negotiator of the transport's
	 * own to add them), or a plaintext handler on the ready read path
	 */
	public Registration configure(NettyServerBuilder builder, TransportSecurity security,
			ConnectionInstrumentation instrumentation) {
		if (instrumentation == null) {
			throw new NullPointerException("instrumentation is required");
		}
		if (security instanceof TransportSecurity.Kept && !instrumentation.isNone()) {
			throw new IllegalArgumentException("Kept security runs the application's negotiator: instrumentation"
					+ " handlers need the transport's own negotiator (plaintext or ALTS)");
		}
		if (this.settings.readPath() == ReadPath.READY && instrumentation.plaintextHandler() != null) {
			throw new IllegalArgumentException("A plaintext handler needs the conventional read path:"
					+ " on the ready read path the frame aligner is where the bytes are plaintext HTTP/2");
		}
		Registration server = register(Owner.server(), "", GrpcNettyBridge.installedSecurity(builder), security);
		this.eventLoops.configure(builder, this.pool.allocator());
		if (!(security instanceof TransportSecurity.Kept)) {
			GrpcNettyBridge.install(builder, negotiator(true, security, server.stats(), instrumentation),
					security instanceof TransportSecurity.Alts);
		}
		return server;
	}

	private Registration register(Owner owner, String target, ConnectionSecurity installed,
			TransportSecurity security) {
		boolean plaintext = installed == ConnectionSecurity.PLAINTEXT;
		if (security instanceof TransportSecurity.Kept) {
			if (plaintext) {
				throw new IllegalStateException(
						owner + " is plaintext: there is no security of its own to keep; ask for plaintext");
			}
			return this.registry.register(owner, target, installed, ReadPath.CONVENTIONAL);
		}
		boolean alts = security instanceof TransportSecurity.Alts;
		if (!plaintext) {
			throw new IllegalStateException(owner + " already has " + installed.displayName() + " security; "
					+ (alts ? "ALTS can only secure" : "the ready-read plaintext negotiator only replaces that of")
					+ " a plaintext builder");
		}
		return this.registry.register(owner, target, alts ? ConnectionSecurity.ALTS : ConnectionSecurity.PLAINTEXT,
				this.settings.readPath());
	}

	/**
	 * Our negotiator: the ALTS one prepared for the read path, or our plaintext one; with
	 * the instrumentation's handlers, if any.
	 */
	private GrpcNettyBridge.Negotiator negotiator(boolean server, TransportSecurity security, ReadPathStats stats,
			ConnectionInstrumentation instrumentation) {
		boolean ready = this.settings.readPath() == ReadPath.READY;
		Supplier<ChannelHandler> plaintextHandler = instrumentation.plaintextHandler();
		GrpcNettyBridge.Negotiator negotiator;
		if (security instanceof TransportSecurity.Alts alts) {
			Supplier<ChannelHandler> stage = ready
					? () -> Http2FrameAligner.behindRecordDecoder(server, stats, this.settings.dataFrames())
					: plaintextHandler;
			RecordLayerNegotiator secured = alts.negotiators().negotiator(stats, stage);
			negotiator = ready ? ReadyReadNegotiators.secured(secured, stats, this.settings.readBufferSize(),
					this.settings.readSizing()) : ReadyReadNegotiators.counted(secured, stats);
		}
		else {
			// The ready negotiator tracks its connections itself, as it prepares them.
			GrpcNettyBridge.Negotiator ours = ReadyReadNegotiators.plaintext(server, this.settings.readPath(), stats,
					this.settings.readBufferSize(), this.settings.readSizing(), this.settings.dataFrames(), true);
			negotiator = ready ? ours : ReadyReadNegotiators.beforeHandshake(ours, stats::track);
			if (plaintextHandler != null) {
				// Added first before the read path adds its own: it ends up behind them,
				// in
				// front of gRPC's negotiation.
				negotiator = ReadyReadNegotiators.beforeHandshake(negotiator,
						(channel) -> channel.pipeline().addFirst(plaintextHandler.get()));
			}
		}
		Supplier<ChannelHandler> headHandler = instrumentation.headHandler();
		if (headHandler != null) {
			negotiator = ReadyReadNegotiators.afterSetup(negotiator,
					(channel) -> channel.pipeline().addFirst(headHandler.get()));
		}
		return negotiator;
	}

	/** The shared event loops and channel types. */
	public NettyTransport eventLoops() {
		return this.eventLoops;
	}

	public PooledBufferAllocator pool() {
		return this.pool;
	}

	/** How connections read, and the settings the event loops were selected with. */
	public TransportSettings settings() {
		return this.settings;
	}

	/**
	 * {@link ReadyReadMode#READY_READ} when connections run the ready read path on the
	 * native transport asked for (epoll, or io_uring), else
	 * {@link ReadyReadMode#FALLBACK}.
	 */
	public ReadyReadMode mode() {
		return (fallbackReason() == null) ? ReadyReadMode.READY_READ : ReadyReadMode.FALLBACK;
	}

	/** Why the mode is a fallback, or {@code null} in ready-read mode. */
	public @Nullable String fallbackReason() {
		if (!this.eventLoops.isNative()) {
			return "transport is NIO (" + this.eventLoops.reason() + "); sized reads without kernel-side waiting";
		}
		if (this.eventLoops.isFallback()) {
			return "transport is " + this.eventLoops.type().displayName() + " (" + this.eventLoops.reason() + ")";
		}
		if (this.settings.readPath() != ReadPath.READY) {
			return "grpc.ready-read.read-path=conventional";
		}
		return null;
	}

	/** Stops the periodic cache trimming; the event loops are closed by their owner. */
	public void close() {
		this.trimTasks.forEach((task) -> task.cancel(false));
		this.trimTasks.clear();
	}

}
