package io.github.readyread.grpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.github.readyread.grpc.transport.internal.ReadyReadChannels;
import io.github.readyread.grpc.transport.internal.ReadyReadNegotiators;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tests' one socket rig: a gRPC server and its client channels on real sockets on
 * 127.0.0.1, each side with event loops, a pool, figures and, on io_uring, a read buffer
 * ring of its own, so the bytes each side pins can be told apart. The pools keep no
 * thread caches: their pinned bytes are exactly what live buffers hold.
 *
 * <p>
 * {@link #on Options} choose the transport, the read path, its sizing, low-water mark and
 * largest read, the rings, the service, each side's {@link Security} and the
 * {@link Wiring}: the read path's negotiators installed directly, every option open, or
 * {@link ReadyReadTransport} configuring the builders as the starters do.
 *
 * <p>
 * So that a rig bug cannot make a test measure the wrong thing and pass, the servers fail
 * calls that are not secured as asked, and a side's pinned figures first check that its
 * connections use its pool.
 *
 * <pre>
 *   channel() --&gt; [client side: loops, pool, ring, stats] ==127.0.0.1==&gt; [server side: ...] --&gt; service
 * </pre>
 */
public final class SocketRig implements AutoCloseable {

	/** Largest message either side accepts. */
	public static final int MAX_MESSAGE = 16 * 1024 * 1024;

	/** Name of the client channels, as {@link ReadyReadTransport} knows them. */
	public static final String CHANNEL_NAME = "client";

	/** The side that serves. */
	public final Side server;

	/** The side whose channels call. */
	public final Side client;

	private final Options options;

	private final Server mainServer;

	private final List<Server> servers = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	private SocketRig(Options options) throws IOException {
		this.options = options;
		this.server = new Side(true, options.readPath, options);
		Side client = null;
		try {
			client = new Side(false, options.clientReadPath, options);
			this.client = client;
			this.mainServer = startServer(this.options.serverSecurity);
		}
		catch (IOException | RuntimeException ex) {
			this.server.close();
			if (client != null) {
				client.close();
			}
			throw ex;
		}
	}

	/**
	 * Options of a rig on {@code transport}; the test is skipped where it cannot run.
	 * @param transport the transport of both sides
	 * @return options to refine, then {@link Options#start()}
	 */
	public static Options on(TransportType transport) {
		return new Options(transport);
	}

	/**
	 * As {@link #on(TransportType)}, by name ({@code epoll}, {@code nio},
	 * {@code io_uring}).
	 */
	public static Options on(String transport) {
		return on(TransportType.valueOf(transport.toUpperCase(Locale.ROOT)));
	}

	/** As {@link #on(TransportType)}, on epoll where it runs, else on NIO. */
	public static Options onEpollOrNio() {
		return on(Epoll.isAvailable() ? TransportType.EPOLL : TransportType.NIO);
	}

	/** The transport both sides run on. */
	public TransportType transport() {
		return this.options.transport;
	}

	/** Port of the server the rig started with. */
	public int port() {
		return port(this.mainServer);
	}

	/** A channel to the rig's server, secured as the client side's security says. */
	public ManagedChannel channel() {
		return channel(port());
	}

	/**
	 * A channel to {@code port} (a relay, say), secured as the client side's security
	 * says.
	 */
	public ManagedChannel channel(int port) {
		return channel(port, this.options.clientSecurity);
	}

	/**
	 * A channel to {@code port} whose connections use {@code negotiator}, {@code null}
	 * for the client side's plaintext read path ({@link Wiring#NEGOTIATORS} only for a
	 * negotiator). Shut down with the rig.
	 */
	public ManagedChannel channel(int port, GrpcNettyBridge.Negotiator negotiator) {
		return channel(port, Security.of(negotiator));
	}

	private ManagedChannel channel(int port, Security security) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
			.maxInboundMessageSize(MAX_MESSAGE)
			.directExecutor();
		this.client.configure(builder, "127.0.0.1:" + port, security);
		ManagedChannel channel = builder.build();
		this.channels.add(channel);
		return channel;
	}

	/**
	 * Starts another server of the rig's service on the server side whose connections use
	 * {@code negotiator}, {@code null} for the server side's plaintext read path
	 * ({@link Wiring#NEGOTIATORS} only for a negotiator). Shut down with the rig.
	 */
	public Server startServer(GrpcNettyBridge.Negotiator negotiator) throws IOException {
		return startServer(Security.of(negotiator));
	}

	/**
	 * A server whose calls fail unless they came over a secure connection exactly when
	 * {@code security} is not plaintext: a rig that quietly fell back to plaintext (or
	 * the reverse) fails the test instead of measuring the wrong connections.
	 */
	private Server startServer(Security security) throws IOException {
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.maxInboundMessageSize(MAX_MESSAGE)
			.directExecutor()
			.addService(ServerInterceptors.intercept(this.options.service,
					new SecurityCheck(security != Security.PLAINTEXT)));
		this.server.configure(builder, security);
		Server started = builder.build().start();
		this.servers.add(started);
		return started;
	}

	/** Stops the rig's servers at once, with whatever streams are in flight. */
	public void shutdownServerNow() throws InterruptedException {
		for (Server started : this.servers) {
			started.shutdownNow();
		}
		for (Server started : this.servers) {
			started.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	/** Shuts every channel down and waits for it. */
	public void shutdownChannels() throws InterruptedException {
		for (ManagedChannel channel : this.channels) {
			channel.shutdownNow();
		}
		for (ManagedChannel channel : this.channels) {
			channel.awaitTermination(10, TimeUnit.SECONDS);
		}
		this.channels.clear();
	}

	/** Shuts channels, servers and event loops down and waits for them; idempotent. */
	@Override
	public void close() throws InterruptedException {
		shutdownChannels();
		shutdownServerNow();
		this.client.close();
		this.server.close();
	}

	/**
	 * Closes the rig (event loops included, so nothing allocates any more), then checks
	 * that neither pool has a byte pinned, direct or heap (the pools have heap arenas
	 * too), nor a ring a buffer. Every figure of both sides is reported at once.
	 */
	public void closeAndAssertPoolsEmpty() throws InterruptedException {
		close();
		Map<String, Long> pinned = new LinkedHashMap<>();
		for (Side side : List.of(this.client, this.server)) {
			pinned.put(side + " pool direct bytes", side.pool.pinnedDirectBytes());
			pinned.put(side + " pool heap bytes", side.pool.pinnedHeapBytes());
			if (side.ring != null) {
				pinned.put(side + " rings' bytes", side.ring.bytesInRings());
			}
		}
		Map<String, Long> none = new LinkedHashMap<>();
		pinned.keySet().forEach((figure) -> none.put(figure, 0L));
		assertThat(pinned).as("bytes pinned after close").isEqualTo(none);
	}

	/** Skips the test where {@code transport} cannot run. */
	public static void assumeAvailable(TransportType transport) {
		if (transport == TransportType.EPOLL) {
			assumeTrue(Epoll.isAvailable(), "native epoll unavailable");
		}
		if (transport == TransportType.IO_URING) {
			assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(),
					"io_uring with buffer rings unavailable");
		}
	}

	/**
	 * Waits until {@code condition} holds and {@code activity} (a count of reads, pinned
	 * bytes, say) has not moved for {@code quiet} with the condition holding throughout:
	 * late control frames (a BDP ping's ack after the last reply, say) are read by then,
	 * so what is measured next is the connections at rest, not one instant between two
	 * reads.
	 * @param what what is awaited, for the failure message
	 * @param condition what must hold at rest
	 * @param activity a figure that moves while the connections are busy
	 * @param quiet how long the figure must stay put
	 * @param atMost how long to wait in all before failing
	 */
	public static void awaitQuiet(String what, BooleanSupplier condition, LongSupplier activity, Duration quiet,
			Duration atMost) {
		long[] last = { Long.MIN_VALUE };
		await(what).during(quiet).atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
			long now = activity.getAsLong();
			boolean still = now == last[0];
			last[0] = now;
			return still && condition.getAsBoolean();
		});
	}

	private static int port(Server server) {
		return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
	}

	/** Fails calls whose connection is not secured as the rig was asked to secure it. */
	private record SecurityCheck(boolean secure) implements ServerInterceptor {

		@Override
		public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
				ServerCallHandler<Q, R> next) {
			boolean secured = call.getSecurityLevel() == SecurityLevel.PRIVACY_AND_INTEGRITY;
			if (secured != this.secure) {
				call.close(
						Status.INTERNAL.withDescription("SocketRig: a call over a " + (secured ? "secure" : "plaintext")
								+ " connection on a server started " + (this.secure ? "secure" : "plaintext")),
						new Metadata());
				return new ServerCall.Listener<>() {
				};
			}
			return next.startCall(call, headers);
		}

	}

	/** How a side's builders are configured. */
	public enum Wiring {

		/**
		 * Our negotiators installed with {@link GrpcNettyBridge#install}: the read path's
		 * plaintext one with every option of the rig, a given one as it is.
		 */
		NEGOTIATORS,

		/**
		 * {@link ReadyReadTransport#configure}, as the starters wire it: the side's
		 * {@link Security#transportSecurity} is asked of it, and it makes the side's
		 * negotiators for its read path.
		 */
		TRANSPORT

	}

	/**
	 * How a side secures its connections: a negotiator installed directly on
	 * {@link Wiring#NEGOTIATORS}, what {@link ReadyReadTransport} is asked for on
	 * {@link Wiring#TRANSPORT}.
	 */
	@FunctionalInterface
	public interface Security {

		/** The side's plaintext read path. */
		Security PLAINTEXT = new Security() {

			@Override
			public GrpcNettyBridge.Negotiator negotiator(Side side) {
				return null;
			}

			@Override
			public TransportSecurity transportSecurity(Side side) {
				return TransportSecurity.plaintext();
			}

		};

		/**
		 * A negotiator for one more server or channel of {@code side}, on
		 * {@link Wiring#NEGOTIATORS}.
		 * @param side the side it is for
		 * @return the negotiator, {@code null} for the side's plaintext read path
		 */
		GrpcNettyBridge.Negotiator negotiator(Side side);

		/**
		 * What {@code side} asks of {@link ReadyReadTransport} on
		 * {@link Wiring#TRANSPORT}; a security made of a bare negotiator has no such
		 * form.
		 * @param side the side it is for
		 * @return the security the transport is asked for
		 */
		default TransportSecurity transportSecurity(Side side) {
			throw new IllegalStateException("SocketRig: a bare negotiator is installed with Wiring.NEGOTIATORS only");
		}

		/**
		 * ALTS through {@code handshaker} with the side's figures: bare on
		 * {@link Wiring#NEGOTIATORS}, on the side's read path (the transport's figures
		 * and plaintext stage) with {@link Wiring#TRANSPORT}.
		 */
		static Security alts(io.grpc.Channel handshaker) {
			return alts(handshaker, AltsFrameSizes.OFFERED_BY_DEFAULT);
		}

		/** ALTS offering records of at most {@code maxFrameSize} bytes on both sides. */
		static Security alts(io.grpc.Channel handshaker, int maxFrameSize) {
			return new Security() {

				@Override
				public GrpcNettyBridge.Negotiator negotiator(Side side) {
					AltsSettings settings = AltsSettings.of(handshaker, side.stats).withMaxFrameSize(maxFrameSize);
					return side.isServer ? AltsNegotiator.server(settings) : AltsNegotiator.client(settings);
				}

				@Override
				public TransportSecurity transportSecurity(Side side) {
					return TransportSecurity.alts((stats, plaintextStage) -> {
						AltsSettings settings = AltsSettings.of(handshaker, stats)
							.withMaxFrameSize(maxFrameSize)
							.withPlaintextStage(plaintextStage);
						return side.isServer ? AltsNegotiator.server(settings) : AltsNegotiator.client(settings);
					});
				}

			};
		}

		/** {@code negotiator} as it is, {@link #PLAINTEXT} for {@code null}. */
		private static Security of(GrpcNettyBridge.Negotiator negotiator) {
			return (negotiator != null) ? (side) -> negotiator : PLAINTEXT;
		}

	}

	/** One side of the rig: its event loops, pool, ring and figures. */
	public static final class Side {

		/** Whether this side serves. */
		public final boolean isServer;

		/** This side's pool. */
		public final PooledBufferAllocator pool;

		/**
		 * The read buffer ring of this side's loops on io_uring, on its pool; else null.
		 */
		public final ReadBufferRing ring;

		/** This side's event loops. */
		public final NettyTransport loops;

		/** Figures of this side's connections. */
		public final ReadPathStats stats;

		private final ReadPath readPath;

		private final Options options;

		private final ReadyReadTransport readyRead;

		private Side(boolean isServer, ReadPath readPath, Options options) {
			this.isServer = isServer;
			this.readPath = readPath;
			this.options = options;
			this.pool = new PooledBufferAllocator(new PoolSettings(4 * 1024 * 1024, 2, false, Duration.ZERO, true));
			this.ring = (options.transport == TransportType.IO_URING)
					? new ReadBufferRing(this.pool.allocator(), options.ringEntries, options.ringBufferSize) : null;
			this.loops = NettyTransport.select(options.transport, 2, Duration.ZERO, Duration.ofSeconds(5), this.ring);
			assertThat(this.loops.type()).as("transport").isEqualTo(options.transport);
			if (options.wiring == Wiring.TRANSPORT) {
				this.readyRead = new ReadyReadTransport(this.loops, this.pool,
						TransportSettings.builder()
							.transport(options.transport)
							.workerThreads(2)
							.readBufferRing(options.ringEntries, options.ringBufferSize)
							.readPath(readPath)
							.readBufferSize(options.readBufferSize)
							.readSizing(options.sizing)
							.dataFrames(options.dataFrames)
							.build(),
						new ReadPathRegistry());
				this.stats = register();
			}
			else {
				this.readyRead = null;
				this.stats = new ReadPathStats(isServer ? "server" : "client");
			}
		}

		/** Pool bytes the read buffer rings hold, 0 without rings. */
		public long ringBytes() {
			return (this.ring != null) ? this.ring.bytesInRings() : 0;
		}

		/**
		 * Pool bytes pinned, after checking that every live connection of this side takes
		 * its buffers from this pool: a rig that put them elsewhere would measure an idle
		 * pool.
		 */
		public long pinnedBytes() {
			for (Channel connection : this.stats.liveChannels()) {
				assertThat(connection.config().getAllocator()).as("allocator of %s connection %s", this, connection)
					.isSameAs(this.pool.allocator());
			}
			return this.pool.pinnedDirectBytes();
		}

		/**
		 * Pool bytes pinned while this side has connections: as {@link #pinnedBytes()},
		 * after checking that it has at least one live connection (with none registered
		 * under this side's figures, the allocator check would check nothing). After
		 * close, when none is right, {@link #pinnedBytes()}.
		 */
		public long pinnedBytesWhileConnected() {
			assertThat(this.stats.liveChannels()).as("live connections of %s", this).isNotEmpty();
			return pinnedBytes();
		}

		/**
		 * Pool bytes pinned outside the read buffer rings (which belong to the event
		 * loops, not to connections): all of them without rings. Checked as
		 * {@link #pinnedBytes()}.
		 */
		public long pinnedOutsideRings() {
			return pinnedBytes() - ringBytes();
		}

		/**
		 * Pool bytes pinned outside the read buffer rings while this side has
		 * connections, checked as {@link #pinnedBytesWhileConnected()}.
		 */
		public long pinnedOutsideRingsWhileConnected() {
			return pinnedBytesWhileConnected() - ringBytes();
		}

		/**
		 * Registers this side's owner with the transport once, on a builder never built:
		 * the registry makes an owner's figures at its first registration and keeps them
		 * for the next ones, so the side's figures exist before its first server or
		 * channel.
		 */
		private ReadPathStats register() {
			ReadPathRegistry.Registration registration = this.isServer
					? this.readyRead.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext())
					: this.readyRead.configure(NettyChannelBuilder.forTarget("127.0.0.1:0").usePlaintext(),
							CHANNEL_NAME, "", TransportSecurity.plaintext());
			return registration.stats();
		}

		private void configure(NettyChannelBuilder builder, String target, Security security) {
			if (this.readyRead != null) {
				ReadPathRegistry.Registration registration = this.readyRead.configure(builder.usePlaintext(),
						CHANNEL_NAME, target, security.transportSecurity(this));
				assertThat(registration.stats()).as("figures of the %s", this).isSameAs(this.stats);
				return;
			}
			install(builder, security.negotiator(this));
		}

		private void configure(NettyServerBuilder builder, Security security) {
			if (this.readyRead != null) {
				ReadPathRegistry.Registration registration = this.readyRead.configure(builder,
						security.transportSecurity(this));
				assertThat(registration.stats()).as("figures of the %s", this).isSameAs(this.stats);
				return;
			}
			install(builder, security.negotiator(this));
		}

		private void install(NettyChannelBuilder builder, GrpcNettyBridge.Negotiator negotiator) {
			this.loops.configure(builder, this.pool.allocator());
			GrpcNettyBridge.install(builder, (negotiator != null) ? negotiator : plaintext(), negotiator != null);
		}

		private void install(NettyServerBuilder builder, GrpcNettyBridge.Negotiator negotiator) {
			this.loops.configure(builder, this.pool.allocator());
			GrpcNettyBridge.install(builder, (negotiator != null) ? negotiator : plaintext(), negotiator != null);
		}

		/** The read path's plaintext negotiator with every option of the rig. */
		private GrpcNettyBridge.Negotiator plaintext() {
			return ReadyReadNegotiators.plaintext(this.isServer, this.readPath, this.stats, this.options.readBufferSize,
					this.options.sizing, this.options.dataFrames, this.options.lowWaterMark);
		}

		private void close() {
			if (this.readyRead != null) {
				this.readyRead.close();
			}
			this.loops.close();
		}

		@Override
		public String toString() {
			return this.isServer ? "server" : "client";
		}

	}

	/** What a rig is made of; {@link #start()} makes it. */
	public static final class Options {

		private final TransportType transport;

		private ReadPath readPath = ReadPath.READY;

		private ReadPath clientReadPath = ReadPath.READY;

		private ReadSizing sizing = ReadSizing.ADAPTIVE;

		private DataFrames dataFrames = DataFrames.SLICE_FILLED_READS;

		private boolean lowWaterMark = true;

		private int readBufferSize = ReadyReadChannels.DEFAULT_MAX_READ_SIZE;

		private int ringEntries = ReadBufferRing.DEFAULT_ENTRIES;

		private int ringBufferSize = ReadBufferRing.DEFAULT_BUFFER_SIZE;

		private Wiring wiring = Wiring.NEGOTIATORS;

		private Security serverSecurity = Security.PLAINTEXT;

		private Security clientSecurity = Security.PLAINTEXT;

		private ServerServiceDefinition service = new EchoService().bindService();

		private Options(TransportType transport) {
			this.transport = transport;
		}

		/** Read path of both sides; {@link ReadPath#READY} unless set. */
		public Options readPath(ReadPath readPath) {
			this.readPath = readPath;
			this.clientReadPath = readPath;
			return this;
		}

		/** Read path of the client side alone. */
		public Options clientReadPath(ReadPath readPath) {
			this.clientReadPath = readPath;
			return this;
		}

		/**
		 * How large the ready read path's reads are; {@link ReadSizing#ADAPTIVE} unless
		 * set.
		 */
		public Options sizing(ReadSizing sizing) {
			this.sizing = sizing;
			return this;
		}

		/**
		 * What the ready read path hands gRPC DATA payloads in;
		 * {@link DataFrames#SLICE_FILLED_READS} unless set.
		 */
		public Options dataFrames(DataFrames dataFrames) {
			this.dataFrames = dataFrames;
			return this;
		}

		/**
		 * Whether epoll connections use {@code SO_RCVLOWAT} ({@link Wiring#NEGOTIATORS}
		 * only); on unless set.
		 */
		public Options lowWaterMark(boolean lowWaterMark) {
			this.lowWaterMark = lowWaterMark;
			return this;
		}

		/**
		 * Largest read buffer; {@link ReadyReadChannels#DEFAULT_MAX_READ_SIZE} unless
		 * set.
		 */
		public Options readBufferSize(int readBufferSize) {
			this.readBufferSize = readBufferSize;
			return this;
		}

		/** Size of each side's io_uring read buffer ring, per event loop. */
		public Options ring(int entries, int bufferSize) {
			this.ringEntries = entries;
			this.ringBufferSize = bufferSize;
			return this;
		}

		/**
		 * How both sides configure their builders; {@link Wiring#NEGOTIATORS} unless set.
		 */
		public Options wiring(Wiring wiring) {
			this.wiring = wiring;
			return this;
		}

		/** Security of both sides; {@link Security#PLAINTEXT} unless set. */
		public Options security(Security security) {
			this.serverSecurity = security;
			this.clientSecurity = security;
			return this;
		}

		/** Security of the rig's server. */
		public Options serverSecurity(Security security) {
			this.serverSecurity = security;
			return this;
		}

		/** Security of the channels {@link SocketRig#channel(int)} opens. */
		public Options clientSecurity(Security security) {
			this.clientSecurity = security;
			return this;
		}

		/** What the servers serve; {@link EchoService} unless set. */
		public Options service(ServerServiceDefinition service) {
			this.service = service;
			return this;
		}

		/**
		 * Starts both sides and the server; skips the test where the transport cannot
		 * run.
		 */
		public SocketRig start() throws IOException {
			assumeAvailable(this.transport);
			return new SocketRig(this);
		}

	}

}
