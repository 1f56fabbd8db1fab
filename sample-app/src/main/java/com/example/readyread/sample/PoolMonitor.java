package com.example.readyread.sample;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import net.devh.boot.grpc.server.event.GrpcServerStartedEvent;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.util.unit.DataSize;

/**
 * Takes {@link PoolFigures} from the shared pool and the ready-read transport, measures
 * the download rate every second, prints where to look on start, and logs one line of
 * figures at every {@code sample.log-interval}.
 */
public class PoolMonitor implements DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(PoolMonitor.class);

	static final EndpointId BUFFERPOOL = EndpointId.of("bufferpool");

	private final PooledBufferAllocator pool;

	private final ReadyReadTransport transport;

	private final ReadPathRegistry readPaths;

	private final DownloadClient client;

	private final SampleProperties properties;

	private final @Nullable PathMappedEndpoints endpoints;

	private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "sample-monitor");
		thread.setDaemon(true);
		return thread;
	});

	private volatile long downloadBytesPerSecond;

	private volatile String grpcServer = "not started";

	private long lastBytes;

	private long lastNanos = System.nanoTime();

	private long lastLoggedBytes;

	private long lastLoggedNanos = System.nanoTime();

	public PoolMonitor(PooledBufferAllocator pool, ReadyReadTransport transport, ReadPathRegistry readPaths,
			DownloadClient client, SampleProperties properties, @Nullable PathMappedEndpoints endpoints) {
		this.pool = pool;
		this.transport = transport;
		this.readPaths = readPaths;
		this.client = client;
		this.properties = properties;
		this.endpoints = endpoints;
	}

	/** The figures now. */
	public PoolFigures figures() {
		long readPathPinned = 0;
		long incomplete = 0;
		long connections = 0;
		long idleConnections = 0;
		for (Registration owner : this.readPaths.registrations()) {
			ReadPathStats stats = owner.stats();
			readPathPinned += stats.pinnedBytes();
			incomplete += stats.incompleteBytes();
			connections += stats.connections();
			if (stats.owner().startsWith(DownloadClient.IDLE_CHANNEL_PREFIX)) {
				idleConnections += stats.connections();
			}
		}
		return new PoolFigures(System.currentTimeMillis(), this.transport.mode().displayName(),
				this.transport.fallbackReason(), this.transport.eventLoops().type().displayName(),
				this.transport.settings().readPath().name().toLowerCase(Locale.ROOT), this.pool.reservedDirectBytes(),
				this.pool.pinnedDirectBytes(), this.pool.reservedHeapBytes(), this.pool.pinnedHeapBytes(),
				readPathPinned, incomplete, connections, this.downloadBytesPerSecond, this.client.downloadsCompleted(),
				this.client.downloadsFailed(), idleConnections, this.client.stalledStreams(), hasBufferpoolEndpoint());
	}

	boolean hasBufferpoolEndpoint() {
		return this.endpoints != null && this.endpoints.getEndpoint(BUFFERPOOL) != null;
	}

	@EventListener
	public void onReady(ApplicationReadyEvent event) {
		this.scheduler.scheduleAtFixedRate(this::measureRate, 1, 1, TimeUnit.SECONDS);
		long interval = this.properties.getLogInterval().toMillis();
		this.scheduler.scheduleAtFixedRate(this::logFigures, interval, interval, TimeUnit.MILLISECONDS);
		String base = "http://localhost:" + localPort(event);
		String bufferpool = hasBufferpoolEndpoint() ? base + "/actuator/bufferpool" : base
				+ "/actuator/bufferpool (not exposed: add bufferpool to management.endpoints.web.exposure.include)";
		logger.info("""

				  Ready-read sample is up ({}):
				    chart        {}/
				    figures      {}/demo/pool
				    bufferpool   {}
				    gRPC server  {} ({})
				""", this.transport.mode().displayName(), base, base, bufferpool, this.grpcServer,
				(this.readPaths.server() != null) ? this.readPaths.server().security().displayName() : "not started");
	}

	@EventListener
	public void onGrpcServerStarted(GrpcServerStartedEvent event) {
		this.grpcServer = event.getAddress() + ":" + event.getPort();
	}

	private static String localPort(ApplicationReadyEvent event) {
		if (event.getApplicationContext() instanceof WebServerApplicationContext web && web.getWebServer() != null) {
			return String.valueOf(web.getWebServer().getPort());
		}
		return event.getApplicationContext().getEnvironment().getProperty("server.port", "8080");
	}

	private synchronized void measureRate() {
		long bytes = this.client.bytesDownloaded();
		long now = System.nanoTime();
		long elapsed = now - this.lastNanos;
		if (elapsed > 0) {
			this.downloadBytesPerSecond = (bytes - this.lastBytes) * 1_000_000_000L / elapsed;
		}
		this.lastBytes = bytes;
		this.lastNanos = now;
	}

	private void logFigures() {
		try {
			PoolFigures figures = figures();
			long bytes = this.client.bytesDownloaded();
			long now = System.nanoTime();
			double mbPerSecond = (bytes - this.lastLoggedBytes) / 1e6 / ((now - this.lastLoggedNanos) / 1e9);
			this.lastLoggedBytes = bytes;
			this.lastLoggedNanos = now;
			logger.info(
					"pool: reserved={} pinned={} | read path: pinned={} incomplete={} | download: {} MB/s, {} ok, {} failed | connections={} ({})",
					mib(figures.reservedDirectBytes()), mib(figures.pinnedDirectBytes()),
					mib(figures.readPathPinnedBytes()), mib(figures.incompleteBytes()),
					String.format("%.1f", mbPerSecond), figures.downloadsCompleted(), figures.downloadsFailed(),
					figures.connections(), figures.mode());
		}
		catch (RuntimeException ex) {
			logger.warn("Could not log pool figures", ex);
		}
	}

	private static String mib(long bytes) {
		return String.format("%.2fMiB", bytes / (double) DataSize.ofMegabytes(1).toBytes());
	}

	@Override
	public void destroy() {
		this.scheduler.shutdownNow();
	}

}
