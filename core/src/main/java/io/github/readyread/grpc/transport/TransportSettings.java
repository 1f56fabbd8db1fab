package io.github.readyread.grpc.transport;

import java.time.Duration;

import io.github.readyread.grpc.transport.internal.ReadyReadChannels;

/**
 * How the ready-read transport runs: which Netty transport and how many event loop
 * threads
 * ({@link NettyTransport#select(TransportSettings, io.netty.buffer.ByteBufAllocator)}),
 * the io_uring read buffer rings, and how connections read ({@link ReadyReadTransport}).
 * Start from {@link #builder()}: what is not set keeps its default.
 *
 * @param transport the Netty transport asked for
 * @param workerThreads worker event loop threads, 0 for twice the number of cores
 * @param shutdownQuietPeriod quiet period of the event loops' graceful shutdown
 * @param shutdownTimeout longest wait for the event loops' graceful shutdown
 * @param ringEntries buffers per io_uring read buffer ring, a power of two between 2 and
 * 16384
 * @param ringBufferSize bytes per io_uring read buffer ring buffer, at least 1024
 * @param readPath how connections read
 * @param readBufferSize largest read buffer in bytes, at least 1024 (on epoll with
 * adaptive reads, the read that completes an ALTS record of 32 KiB or more takes its rest
 * whole, up to the 1 MiB record limit)
 * @param readSizing how large the ready read path's reads are
 * @param dataFrames what the ready read path hands gRPC DATA payloads in
 */
public record TransportSettings(TransportType transport, int workerThreads, Duration shutdownQuietPeriod,
		Duration shutdownTimeout, int ringEntries, int ringBufferSize, ReadPath readPath, int readBufferSize,
		ReadSizing readSizing, DataFrames dataFrames) {

	public TransportSettings {
		if (transport == null || shutdownQuietPeriod == null || shutdownTimeout == null || readPath == null
				|| readSizing == null || dataFrames == null) {
			throw new NullPointerException(
					"transport, shutdown durations, readPath, readSizing and dataFrames are required");
		}
		if (shutdownQuietPeriod.isNegative() || shutdownTimeout.compareTo(shutdownQuietPeriod) < 0) {
			// Netty refuses such a shutdown, which would leave the event loops running.
			throw new IllegalArgumentException(
					"The event loops' shutdown timeout (" + shutdownTimeout + ") must be at least their quiet period ("
							+ shutdownQuietPeriod + "), which must not be negative");
		}
		if (readBufferSize < 1024) {
			throw new IllegalArgumentException("Read buffer size must be at least 1KB, was " + readBufferSize);
		}
	}

	/** Every setting at its default: see {@link Builder}. */
	public static TransportSettings defaults() {
		return builder().build();
	}

	/** A builder that starts from the defaults. */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Builds {@link TransportSettings}. Defaults: {@link TransportType#AUTO}, twice as
	 * many worker threads as cores, a 100 ms quiet period and a 5 s timeout at shutdown,
	 * rings of {@link ReadBufferRing#DEFAULT_ENTRIES} x
	 * {@link ReadBufferRing#DEFAULT_BUFFER_SIZE} bytes, the {@link ReadPath#READY ready}
	 * read path with 64 KiB read buffers at most, {@link ReadSizing#ADAPTIVE adaptive},
	 * {@link DataFrames#SLICE_FILLED_READS DATA payloads sliced from filled reads}.
	 */
	public static final class Builder {

		private TransportType transport = TransportType.AUTO;

		private int workerThreads;

		private Duration shutdownQuietPeriod = Duration.ofMillis(100);

		private Duration shutdownTimeout = Duration.ofSeconds(5);

		private int ringEntries = ReadBufferRing.DEFAULT_ENTRIES;

		private int ringBufferSize = ReadBufferRing.DEFAULT_BUFFER_SIZE;

		private ReadPath readPath = ReadPath.READY;

		private int readBufferSize = ReadyReadChannels.DEFAULT_MAX_READ_SIZE;

		private ReadSizing readSizing = ReadSizing.ADAPTIVE;

		private DataFrames dataFrames = DataFrames.SLICE_FILLED_READS;

		private Builder() {
		}

		public Builder transport(TransportType transport) {
			this.transport = transport;
			return this;
		}

		/** Worker threads, 0 for twice the number of cores. */
		public Builder workerThreads(int workerThreads) {
			this.workerThreads = workerThreads;
			return this;
		}

		/**
		 * The quiet period and the longest wait of the event loops' graceful shutdown.
		 */
		public Builder shutdown(Duration quietPeriod, Duration timeout) {
			this.shutdownQuietPeriod = quietPeriod;
			this.shutdownTimeout = timeout;
			return this;
		}

		/** Buffers per io_uring read buffer ring, and bytes per buffer. */
		public Builder readBufferRing(int entries, int bufferSize) {
			this.ringEntries = entries;
			this.ringBufferSize = bufferSize;
			return this;
		}

		public Builder readPath(ReadPath readPath) {
			this.readPath = readPath;
			return this;
		}

		/** Largest read buffer in bytes. */
		public Builder readBufferSize(int readBufferSize) {
			this.readBufferSize = readBufferSize;
			return this;
		}

		public Builder readSizing(ReadSizing readSizing) {
			this.readSizing = readSizing;
			return this;
		}

		public Builder dataFrames(DataFrames dataFrames) {
			this.dataFrames = dataFrames;
			return this;
		}

		/**
		 * The settings.
		 * @return the settings
		 * @throws IllegalArgumentException if the read buffer size is under 1 KiB
		 */
		public TransportSettings build() {
			return new TransportSettings(this.transport, this.workerThreads, this.shutdownQuietPeriod,
					this.shutdownTimeout, this.ringEntries, this.ringBufferSize, this.readPath, this.readBufferSize,
					this.readSizing, this.dataFrames);
		}

	}

}
