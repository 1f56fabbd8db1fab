package io.github.readyread.grpc.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.TransportType;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties of the ready-read gRPC transport.
 */
@ConfigurationProperties("grpc.ready-read")
public class ReadyReadProperties implements InitializingBean {

	/**
	 * Whether the ready-read transport is installed; when false, the gRPC starter's
	 * defaults apply unchanged.
	 */
	private boolean enabled = true;

	/**
	 * Netty transport of every gRPC channel and server.
	 */
	private TransportType transport = TransportType.AUTO;

	/**
	 * Read path of new connections: ready (sized buffers, nothing pinned while waiting)
	 * or conventional.
	 */
	private ReadPath readPath = ReadPath.READY;

	/**
	 * Largest read buffer taken from the pool for one socket read, but for the read that
	 * completes an ALTS record of 32 KiB or more on epoll, which takes the record's rest
	 * whole (up to the 1 MiB record limit) rather than copy it together from several
	 * reads.
	 */
	private DataSize readBufferSize = DataSize.ofKilobytes(64);

	/**
	 * How large the ready read path's reads are: adaptive (large reads while bytes come,
	 * about stock gRPC's system calls; an incomplete frame is held at its exact size) or
	 * exact (one frame per read except on io_uring, whose receives take what is queued;
	 * on epoll an incomplete frame waits in the kernel, at 2 to 4 times the system
	 * calls).
	 */
	private ReadSizing readSizing = ReadSizing.ADAPTIVE;

	/**
	 * What the ready read path hands gRPC the payloads of DATA frames in:
	 * slice-filled-reads (slices of the read buffers, without a copy as in stock gRPC,
	 * except the bytes of a message still incomplete after the read when they fill less
	 * than 75% of its buffer: those in exact-size copies, so a waiting message keeps at
	 * most 4/3 of its bytes) or copy (exact-size copies of every payload, one more memory
	 * copy per byte, so an incomplete message keeps exactly its bytes), on io_uring
	 * always copies.
	 */
	private DataFrames dataFrames = DataFrames.SLICE_FILLED_READS;

	private final Pool pool = new Pool();

	private final EventLoop eventLoop = new EventLoop();

	private final IoUring ioUring = new IoUring();

	private final Alts alts = new Alts();

	private final Metrics metrics = new Metrics();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public TransportType getTransport() {
		return this.transport;
	}

	public void setTransport(TransportType transport) {
		this.transport = transport;
	}

	public ReadPath getReadPath() {
		return this.readPath;
	}

	public void setReadPath(ReadPath readPath) {
		this.readPath = readPath;
	}

	public DataSize getReadBufferSize() {
		return this.readBufferSize;
	}

	public void setReadBufferSize(DataSize readBufferSize) {
		this.readBufferSize = readBufferSize;
	}

	public ReadSizing getReadSizing() {
		return this.readSizing;
	}

	public void setReadSizing(ReadSizing readSizing) {
		this.readSizing = readSizing;
	}

	public DataFrames getDataFrames() {
		return this.dataFrames;
	}

	public void setDataFrames(DataFrames dataFrames) {
		this.dataFrames = dataFrames;
	}

	public Pool getPool() {
		return this.pool;
	}

	public EventLoop getEventLoop() {
		return this.eventLoop;
	}

	public IoUring getIoUring() {
		return this.ioUring;
	}

	public Alts getAlts() {
		return this.alts;
	}

	public Metrics getMetrics() {
		return this.metrics;
	}

	/**
	 * Fails startup on a value the transport cannot run with, naming the property (as
	 * Spring Boot's failure analysis reports it, with where the value came from).
	 * Settings of what is not in use are left alone: {@code io-uring.*} on another
	 * transport, {@code alts.*} when nothing asks for ALTS.
	 * @throws InvalidConfigurationPropertyValueException for the first invalid value
	 */
	@Override
	public void afterPropertiesSet() {
		check(between(this.readBufferSize, 1024, Integer.MAX_VALUE), "read-buffer-size", this.readBufferSize,
				"must be at least 1KB");
		DataSize chunk = this.pool.getChunkSize();
		check(PoolSettings.isValidChunkSize(chunk.toBytes()), "pool.chunk-size", chunk,
				"must be a power of two between 8KB and 128MB");
		check(this.pool.getArenas() == null || this.pool.getArenas() >= 1, "pool.arenas", this.pool.getArenas(),
				"must be at least 1");
		check(!this.pool.getCacheTrimInterval().isNegative(), "pool.cache-trim-interval",
				this.pool.getCacheTrimInterval(), "must not be negative (0 for never)");
		check(this.eventLoop.getThreads() >= 0, "event-loop.threads", this.eventLoop.getThreads(),
				"must not be negative (0 for twice the number of cores)");
		Duration quiet = this.eventLoop.getShutdownQuietPeriod();
		check(!quiet.isNegative(), "event-loop.shutdown-quiet-period", quiet, "must not be negative");
		check(this.eventLoop.getShutdownTimeout().compareTo(quiet) >= 0, "event-loop.shutdown-timeout",
				this.eventLoop.getShutdownTimeout(), "must be at least the shutdown quiet period (" + quiet
						+ "), or Netty refuses the shutdown and the event loops keep running");
		check(this.metrics.getMaxChannels() >= 0, "metrics.max-channels", this.metrics.getMaxChannels(),
				"must not be negative (0 for no meters of client channels)");
		if (this.transport == TransportType.IO_URING) {
			int entries = this.ioUring.getRingEntries();
			check(ReadBufferRing.isValidEntries(entries), "io-uring.ring-entries", entries,
					"must be a power of two between 2 and 16384");
			check(between(this.ioUring.getRingBufferSize(), 1024, Integer.MAX_VALUE), "io-uring.ring-buffer-size",
					this.ioUring.getRingBufferSize(), "must be at least 1KB");
		}
		if (this.alts.isServer() || !this.alts.getClientChannels().isEmpty()) {
			check(this.alts.getMaxConcurrentHandshakes() >= 1, "alts.max-concurrent-handshakes",
					this.alts.getMaxConcurrentHandshakes(), "must be at least 1");
			// max-frame-size and handshake-timeout: checked by name where ALTS is built.
		}
	}

	private static boolean between(DataSize size, long min, long max) {
		return size.toBytes() >= min && size.toBytes() <= max;
	}

	private static void check(boolean valid, String property, @Nullable Object value, String reason) {
		if (!valid) {
			throw new InvalidConfigurationPropertyValueException("grpc.ready-read." + property, value, reason);
		}
	}

	/**
	 * Settings of the shared pooled allocator.
	 */
	public static final class Pool {

		/**
		 * Size of each pool chunk, a power of two of at least 8KB (2MB, as grpc-java's
		 * own pool).
		 */
		private DataSize chunkSize = DataSize.ofMegabytes(2);

		/**
		 * Number of direct and of heap arenas; defaults to the number of cores.
		 */
		private @Nullable Integer arenas;

		/**
		 * Whether event loop threads cache recently freed buffers.
		 */
		private boolean threadCaches = true;

		/**
		 * How often event loops hand idle cached buffers back to the arenas; 0 for never.
		 */
		private Duration cacheTrimInterval = Duration.ofSeconds(10);

		/**
		 * Whether buffers are direct (off-heap) rather than heap buffers.
		 */
		private boolean preferDirect = true;

		public DataSize getChunkSize() {
			return this.chunkSize;
		}

		public void setChunkSize(DataSize chunkSize) {
			this.chunkSize = chunkSize;
		}

		public @Nullable Integer getArenas() {
			return this.arenas;
		}

		public void setArenas(@Nullable Integer arenas) {
			this.arenas = arenas;
		}

		public boolean isThreadCaches() {
			return this.threadCaches;
		}

		public void setThreadCaches(boolean threadCaches) {
			this.threadCaches = threadCaches;
		}

		public Duration getCacheTrimInterval() {
			return this.cacheTrimInterval;
		}

		public void setCacheTrimInterval(Duration cacheTrimInterval) {
			this.cacheTrimInterval = cacheTrimInterval;
		}

		public boolean isPreferDirect() {
			return this.preferDirect;
		}

		public void setPreferDirect(boolean preferDirect) {
			this.preferDirect = preferDirect;
		}

	}

	/**
	 * Settings of the read path meters.
	 */
	public static final class Metrics {

		/**
		 * Most client channels with read path meters of their own, by name (a channel
		 * created from a plain target is named by its target); further channels get none,
		 * with a warning, and the endpoint still lists them.
		 */
		private int maxChannels = 100;

		public int getMaxChannels() {
			return this.maxChannels;
		}

		public void setMaxChannels(int maxChannels) {
			this.maxChannels = maxChannels;
		}

	}

	/**
	 * io_uring settings, used with {@code transport=io_uring}.
	 */
	public static final class IoUring {

		/**
		 * Buffers in each worker event loop's read buffer ring (a power of two); a ring
		 * starts half full and grows to this when exhausted.
		 */
		private int ringEntries = ReadBufferRing.DEFAULT_ENTRIES;

		/**
		 * Size of each read buffer ring buffer, taken from the shared pool.
		 */
		private DataSize ringBufferSize = DataSize.ofBytes(ReadBufferRing.DEFAULT_BUFFER_SIZE);

		public int getRingEntries() {
			return this.ringEntries;
		}

		public void setRingEntries(int ringEntries) {
			this.ringEntries = ringEntries;
		}

		public DataSize getRingBufferSize() {
			return this.ringBufferSize;
		}

		public void setRingBufferSize(DataSize ringBufferSize) {
			this.ringBufferSize = ringBufferSize;
		}

	}

	/**
	 * Settings of the shared event loop groups.
	 */
	public static final class EventLoop {

		/**
		 * Number of worker threads shared by all channels and the server; 0 for twice the
		 * number of cores.
		 */
		private int threads = 0;

		/**
		 * Quiet period of the event loops' graceful shutdown.
		 */
		private Duration shutdownQuietPeriod = Duration.ofMillis(100);

		/**
		 * Longest wait for the event loops' graceful shutdown.
		 */
		private Duration shutdownTimeout = Duration.ofSeconds(5);

		public int getThreads() {
			return this.threads;
		}

		public void setThreads(int threads) {
			this.threads = threads;
		}

		public Duration getShutdownQuietPeriod() {
			return this.shutdownQuietPeriod;
		}

		public void setShutdownQuietPeriod(Duration shutdownQuietPeriod) {
			this.shutdownQuietPeriod = shutdownQuietPeriod;
		}

		public Duration getShutdownTimeout() {
			return this.shutdownTimeout;
		}

		public void setShutdownTimeout(Duration shutdownTimeout) {
			this.shutdownTimeout = shutdownTimeout;
		}

	}

	/**
	 * ALTS (Application Layer Transport Security) settings.
	 */
	public static final class Alts {

		/**
		 * Address (host:port) of the ALTS handshaker service; defaults to the GCP
		 * metadata server's.
		 */
		private @Nullable String handshakerAddress;

		/**
		 * Whether the gRPC server accepts only ALTS connections.
		 */
		private boolean server;

		/**
		 * Client channels that connect over ALTS, by name (net.devh: grpc.client.<name>;
		 * Spring Boot 4: spring.grpc.client.channel.<name>); "*" for every channel.
		 */
		private List<String> clientChannels = new ArrayList<>();

		/**
		 * Service accounts the server of a channel must run as, by ALTS channel name; a
		 * channel not listed accepts any.
		 */
		private Map<String, List<String>> targetServiceAccounts = new LinkedHashMap<>();

		/**
		 * Largest ALTS frame this side proposes, between 16KB and 128KB (grpc-java's
		 * offer).
		 */
		private DataSize maxFrameSize = DataSize.ofKilobytes(128);

		/**
		 * Longest time a handshake may take once it has a slot, and may wait for one
		 * before that; bytes from the peer do not extend it.
		 */
		private Duration handshakeTimeout = Duration.ofSeconds(20);

		/**
		 * Handshakes in progress at once per side: all client channels share one limit,
		 * the server has its own; more wait in a queue.
		 */
		private int maxConcurrentHandshakes = 32;

		private final EmbeddedHandshaker embeddedHandshaker = new EmbeddedHandshaker();

		public @Nullable String getHandshakerAddress() {
			return this.handshakerAddress;
		}

		public void setHandshakerAddress(@Nullable String handshakerAddress) {
			this.handshakerAddress = handshakerAddress;
		}

		public boolean isServer() {
			return this.server;
		}

		public void setServer(boolean server) {
			this.server = server;
		}

		public List<String> getClientChannels() {
			return this.clientChannels;
		}

		public void setClientChannels(List<String> clientChannels) {
			this.clientChannels = clientChannels;
		}

		public Map<String, List<String>> getTargetServiceAccounts() {
			return this.targetServiceAccounts;
		}

		public void setTargetServiceAccounts(Map<String, List<String>> targetServiceAccounts) {
			this.targetServiceAccounts = targetServiceAccounts;
		}

		public DataSize getMaxFrameSize() {
			return this.maxFrameSize;
		}

		public void setMaxFrameSize(DataSize maxFrameSize) {
			this.maxFrameSize = maxFrameSize;
		}

		public Duration getHandshakeTimeout() {
			return this.handshakeTimeout;
		}

		public void setHandshakeTimeout(Duration handshakeTimeout) {
			this.handshakeTimeout = handshakeTimeout;
		}

		public int getMaxConcurrentHandshakes() {
			return this.maxConcurrentHandshakes;
		}

		public void setMaxConcurrentHandshakes(int maxConcurrentHandshakes) {
			this.maxConcurrentHandshakes = maxConcurrentHandshakes;
		}

		public EmbeddedHandshaker getEmbeddedHandshaker() {
			return this.embeddedHandshaker;
		}

		/**
		 * In-process ALTS handshaker for development and tests; insecure.
		 */
		public static final class EmbeddedHandshaker {

			/**
			 * Whether to run an embedded, insecure ALTS handshaker instead of the real
			 * one.
			 */
			private boolean enabled;

			/**
			 * Loopback port on which the embedded handshaker also listens, for stock ALTS
			 * peers; 0 for a random port, unset for in-process only.
			 */
			private @Nullable Integer port;

			/**
			 * Address on which the embedded handshaker listens when a port is set.
			 */
			private String address = "127.0.0.1";

			/**
			 * Whether the embedded handshaker may listen on other than the loopback
			 * interface.
			 */
			private boolean allowNonLoopback;

			/**
			 * Service account this process claims in embedded handshakes.
			 */
			private String serviceAccount = "embedded-handshaker@insecure.invalid";

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

			public @Nullable Integer getPort() {
				return this.port;
			}

			public void setPort(@Nullable Integer port) {
				this.port = port;
			}

			public String getAddress() {
				return this.address;
			}

			public void setAddress(String address) {
				this.address = address;
			}

			public boolean isAllowNonLoopback() {
				return this.allowNonLoopback;
			}

			public void setAllowNonLoopback(boolean allowNonLoopback) {
				this.allowNonLoopback = allowNonLoopback;
			}

			public String getServiceAccount() {
				return this.serviceAccount;
			}

			public void setServiceAccount(String serviceAccount) {
				this.serviceAccount = serviceAccount;
			}

		}

	}

}
