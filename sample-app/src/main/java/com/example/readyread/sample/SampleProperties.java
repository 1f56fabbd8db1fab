package com.example.readyread.sample;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the demo workload.
 */
@ConfigurationProperties("sample")
public class SampleProperties {

	/**
	 * Size of the generated file the server streams.
	 */
	private DataSize fileSize = DataSize.ofMegabytes(64);

	/**
	 * Size of each streamed message (one chunk of the file).
	 */
	private DataSize chunkSize = DataSize.ofMegabytes(1);

	/**
	 * Seed of the deterministic pseudo-random file contents.
	 */
	private long seed = 42;

	/**
	 * How often the pool figures are logged.
	 */
	private Duration logInterval = Duration.ofSeconds(5);

	private final Download download = new Download();

	private final Idle idle = new Idle();

	private final Stall stall = new Stall();

	public DataSize getFileSize() {
		return this.fileSize;
	}

	public void setFileSize(DataSize fileSize) {
		this.fileSize = fileSize;
	}

	public DataSize getChunkSize() {
		return this.chunkSize;
	}

	public void setChunkSize(DataSize chunkSize) {
		this.chunkSize = chunkSize;
	}

	public long getSeed() {
		return this.seed;
	}

	public void setSeed(long seed) {
		this.seed = seed;
	}

	public Duration getLogInterval() {
		return this.logInterval;
	}

	public void setLogInterval(Duration logInterval) {
		this.logInterval = logInterval;
	}

	public Download getDownload() {
		return this.download;
	}

	public Idle getIdle() {
		return this.idle;
	}

	public Stall getStall() {
		return this.stall;
	}

	/**
	 * The download loop on the {@code download} channel.
	 */
	public static final class Download {

		/**
		 * Whether the client downloads the file over and over.
		 */
		private boolean enabled = true;

		/**
		 * Pause between two downloads.
		 */
		private Duration pause = Duration.ofMillis(200);

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getPause() {
			return this.pause;
		}

		public void setPause(Duration pause) {
			this.pause = pause;
		}

	}

	/**
	 * Idle connections: channels idle-0 .. idle-(n-1), connected once and then silent.
	 */
	public static final class Idle {

		/**
		 * Number of idle channels, each with its own connection.
		 */
		private int channels = 8;

		public int getChannels() {
			return this.channels;
		}

		public void setChannels(int channels) {
			this.channels = channels;
		}

	}

	/**
	 * Stalled streams: channels stall-0 .. stall-(n-1), each with one call whose client
	 * never asks for the message, so the message stays incomplete on the connection.
	 */
	public static final class Stall {

		/**
		 * Number of stalled streams, each on its own channel.
		 */
		private int streams = 4;

		/**
		 * Size of the one message a stalled stream is sent; larger than the flow control
		 * window so that only part of it arrives.
		 */
		private DataSize messageSize = DataSize.ofKilobytes(256);

		/**
		 * HTTP/2 flow control window of the stall channels (fixed, no auto-tuning): the
		 * part of the message that arrives and waits.
		 */
		private DataSize flowControlWindow = DataSize.ofKilobytes(64);

		public int getStreams() {
			return this.streams;
		}

		public void setStreams(int streams) {
			this.streams = streams;
		}

		public DataSize getMessageSize() {
			return this.messageSize;
		}

		public void setMessageSize(DataSize messageSize) {
			this.messageSize = messageSize;
		}

		public DataSize getFlowControlWindow() {
			return this.flowControlWindow;
		}

		public void setFlowControlWindow(DataSize flowControlWindow) {
			this.flowControlWindow = flowControlWindow;
		}

	}

}
