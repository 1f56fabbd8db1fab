package com.example.readyread.sample;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;

/**
 * The client side of the demo, on net.devh channels from the {@link GrpcChannelFactory}:
 * a loop that downloads the file on channel {@code download} and checks its CRC-32, idle
 * connections on channels {@code idle-N}, and stalled streams on channels
 * {@code stall-N}.
 *
 * <p>
 * Starts once the application (and so the gRPC server) is ready and stops when the
 * context starts closing, before the server shuts down: a stalled call left open would
 * hold the server's graceful shutdown for its whole grace period.
 */
public class DownloadClient {

	private static final Logger logger = LoggerFactory.getLogger(DownloadClient.class);

	/** net.devh name of the download channel. */
	public static final String DOWNLOAD_CHANNEL = "download";

	/** Prefix of the net.devh names of the idle channels. */
	public static final String IDLE_CHANNEL_PREFIX = "idle-";

	/** Prefix of the net.devh names of the stall channels. */
	public static final String STALL_CHANNEL_PREFIX = "stall-";

	private final GrpcChannelFactory channels;

	private final GeneratedFile file;

	private final SampleProperties properties;

	private final LongAdder bytesDownloaded = new LongAdder();

	private final AtomicLong downloadsCompleted = new AtomicLong();

	private final AtomicLong downloadsFailed = new AtomicLong();

	private final List<ClientCall<byte[], byte[]>> stalledCalls = new ArrayList<>();

	private volatile int idleChannelsOpened;

	private volatile boolean running;

	private @Nullable Thread downloader;

	public DownloadClient(GrpcChannelFactory channels, GeneratedFile file, SampleProperties properties) {
		this.channels = channels;
		this.file = file;
		this.properties = properties;
	}

	@EventListener(ApplicationReadyEvent.class)
	public void start() {
		this.running = true;
		openIdleConnections();
		openStalledStreams();
		if (this.properties.getDownload().isEnabled()) {
			Channel channel = this.channels.createChannel(DOWNLOAD_CHANNEL);
			this.downloader = new Thread(() -> downloadLoop(channel), "sample-download");
			this.downloader.setDaemon(true);
			this.downloader.start();
		}
	}

	private void openIdleConnections() {
		int count = this.properties.getIdle().getChannels();
		for (int i = 0; i < count; i++) {
			Channel channel = this.channels.createChannel(IDLE_CHANNEL_PREFIX + i);
			// One small call opens the connection; after it the connection only waits.
			ClientCalls.blockingUnaryCall(channel, DownloadService.PING,
					CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 1 });
			this.idleChannelsOpened++;
		}
	}

	private void openStalledStreams() {
		int count = this.properties.getStall().getStreams();
		for (int i = 0; i < count; i++) {
			Channel channel = this.channels.createChannel(STALL_CHANNEL_PREFIX + i);
			ClientCall<byte[], byte[]> call = channel.newCall(DownloadService.STALL, CallOptions.DEFAULT);
			call.start(new ClientCall.Listener<>() {
				@Override
				public void onClose(Status status, Metadata trailers) {
					if (DownloadClient.this.running && !status.isOk()) {
						logger.warn("Stalled stream closed: {}", status);
					}
				}
			}, new Metadata());
			call.sendMessage(new byte[0]);
			call.halfClose();
			// No call.request(n): the client never takes the message, so its first part
			// (one flow control window) waits on the connection, incomplete.
			synchronized (this.stalledCalls) {
				this.stalledCalls.add(call);
			}
		}
	}

	private void downloadLoop(Channel channel) {
		while (this.running) {
			try {
				downloadOnce(channel);
			}
			catch (StatusRuntimeException ex) {
				if (!this.running) {
					return;
				}
				this.downloadsFailed.incrementAndGet();
				logger.warn("Download failed: {}", ex.getStatus());
			}
			try {
				Thread.sleep(this.properties.getDownload().getPause().toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private void downloadOnce(Channel channel) {
		CRC32 crc = new CRC32();
		long size = 0;
		Iterator<byte[]> chunks = ClientCalls.blockingServerStreamingCall(channel, DownloadService.DOWNLOAD,
				CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.MINUTES), new byte[0]);
		while (chunks.hasNext()) {
			byte[] chunk = chunks.next();
			crc.update(chunk);
			size += chunk.length;
			this.bytesDownloaded.add(chunk.length);
		}
		if (size != this.file.size() || crc.getValue() != this.file.crc32()) {
			this.downloadsFailed.incrementAndGet();
			logger.error("Download corrupt: {} bytes with CRC-32 {}, expected {} bytes with CRC-32 {}", size,
					Long.toHexString(crc.getValue()), this.file.size(), Long.toHexString(this.file.crc32()));
		}
		else {
			this.downloadsCompleted.incrementAndGet();
		}
	}

	@EventListener(ContextClosedEvent.class)
	public void stop() {
		this.running = false;
		synchronized (this.stalledCalls) {
			this.stalledCalls.forEach((call) -> call.cancel("sample stopping", null));
			this.stalledCalls.clear();
		}
		if (this.downloader != null) {
			this.downloader.interrupt();
			try {
				this.downloader.join(TimeUnit.SECONDS.toMillis(5));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** Bytes received by the download loop since start. */
	public long bytesDownloaded() {
		return this.bytesDownloaded.sum();
	}

	/** Downloads whose size and CRC-32 matched the file. */
	public long downloadsCompleted() {
		return this.downloadsCompleted.get();
	}

	/** Downloads that failed or whose size or CRC-32 did not match. */
	public long downloadsFailed() {
		return this.downloadsFailed.get();
	}

	/** Idle channels that completed their one call and stay connected. */
	public int idleChannelsOpened() {
		return this.idleChannelsOpened;
	}

	/** Stalled streams the client holds open without taking their message. */
	public int stalledStreams() {
		synchronized (this.stalledCalls) {
			return this.stalledCalls.size();
		}
	}

}
