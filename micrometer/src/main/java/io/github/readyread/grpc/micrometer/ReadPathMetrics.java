package io.github.readyread.grpc.micrometer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.Owner;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MeterBinder} for the read path figures of every gRPC channel and the server:
 * what Micrometer's Netty allocator metrics cannot see. Tagged {@code owner}
 * ({@code server} or {@code channel}), {@code channel} (the channel's name,
 * {@code server} for the server), {@code security} and {@code mode}.
 *
 * <p>
 * net.devh creates channels lazily, so the meters of a channel are registered when it
 * appears: at binding and then by a check every {@link #REFRESH_INTERVAL} on the boss
 * event loop.
 */
public class ReadPathMetrics implements MeterBinder, AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ReadPathMetrics.class);

	/** Pool bytes the read path holds now: read buffers plus incomplete frames. */
	public static final String PINNED = "grpc.ready-read.read.pinned";

	/** Frames that are not complete yet. */
	public static final String INCOMPLETE_FRAMES = "grpc.ready-read.read.incomplete.frames";

	/** Bytes of incomplete frames held in the process. */
	public static final String INCOMPLETE_BYTES = "grpc.ready-read.read.incomplete.bytes";

	/** Read buffers taken from the pool. */
	public static final String BUFFERS_TAKEN = "grpc.ready-read.read.buffers.taken";

	/**
	 * Read buffers the read path is done with: released, or their bytes handed on to gRPC
	 * (which may keep a slice until the message is read).
	 */
	public static final String BUFFERS_DONE = "grpc.ready-read.read.buffers.done";

	/** Bytes read from the sockets, on either read path. */
	public static final String BYTES_READ = "grpc.ready-read.read.bytes";

	/** Receives that found the io_uring read buffer ring empty (io_uring only). */
	public static final String RING_EXHAUSTIONS = "grpc.ready-read.read.ring.exhaustions";

	/** Buffers the io_uring read buffer rings hold now (io_uring only). */
	public static final String RING_BUFFERS = "grpc.ready-read.ring.buffers";

	/** Pool bytes the io_uring read buffer rings hold now (io_uring only). */
	public static final String RING_BYTES = "grpc.ready-read.ring.bytes";

	/** Connections open now. */
	public static final String CONNECTIONS = "grpc.ready-read.connections";

	/** How often new channels are looked for. */
	public static final Duration REFRESH_INTERVAL = Duration.ofSeconds(1);

	private final ReadyReadTransport transport;

	private final ReadPathRegistry readPaths;

	private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	/** Per registry, each owner's meters and the security they are tagged with. */
	private final Map<MeterRegistry, Map<Owner, Registered>> registered = new ConcurrentHashMap<>();

	private volatile @Nullable ScheduledFuture<?> refresh;

	/**
	 * Meters of every owner in {@code readPaths}.
	 * @param transport the transport, for its mode, rings and event loops
	 * @param readPaths the server and the channels it configured, with their figures
	 */
	public ReadPathMetrics(ReadyReadTransport transport, ReadPathRegistry readPaths) {
		this.transport = transport;
		this.readPaths = readPaths;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registries.add(registry);
		ReadBufferRing ring = this.transport.eventLoops().readBufferRing();
		if (ring != null) {
			Gauge.builder(RING_BUFFERS, ring, ReadBufferRing::buffersInRings)
				.baseUnit("buffers")
				.description("Buffers the io_uring read buffer rings hold now")
				.register(registry);
			Gauge.builder(RING_BYTES, ring, ReadBufferRing::bytesInRings)
				.baseUnit("bytes")
				.description("Pool bytes the io_uring read buffer rings hold now")
				.register(registry);
		}
		refresh();
		synchronized (this) {
			if (this.refresh == null) {
				long millis = REFRESH_INTERVAL.toMillis();
				this.refresh = this.transport.eventLoops()
					.bossGroup()
					.next()
					.scheduleAtFixedRate(this::refreshLogged, millis, millis, TimeUnit.MILLISECONDS);
			}
		}
	}

	/**
	 * Registers the meters of every channel that has none yet, and registers again, with
	 * the new {@code security} tag, those of a channel built again with other security.
	 */
	public void refresh() {
		for (MeterRegistry registry : this.registries) {
			Map<Owner, Registered> done = this.registered.computeIfAbsent(registry, (key) -> new ConcurrentHashMap<>());
			for (Registration owner : this.readPaths.registrations()) {
				done.compute(owner.owner(), (key, earlier) -> {
					if (earlier != null && earlier.security() == owner.security()) {
						return earlier;
					}
					// The new meters first: should the registry refuse one, the old stay.
					List<Meter> meters = register(registry, owner);
					if (earlier != null) {
						earlier.meters().forEach(registry::remove);
					}
					return new Registered(owner.security(), meters);
				});
			}
		}
	}

	/**
	 * The scheduled refresh: a failure is logged, as one thrown would cancel every later
	 * run.
	 */
	private void refreshLogged() {
		try {
			refresh();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not register the read path meters of new gRPC channels", ex);
		}
	}

	private List<Meter> register(MeterRegistry registry, Registration owner) {
		ReadPathStats stats = owner.stats();
		Tags tags = Tags.of("owner", owner.owner().isServer() ? "server" : "channel", "channel", owner.name(),
				"security", owner.security().displayName(), "mode", this.transport.mode().displayName());
		List<Meter> meters = new ArrayList<>();
		meters.add(gauge(registry, PINNED, "bytes", "Pool bytes the read path holds now", tags, stats,
				ReadPathStats::pinnedBytes));
		meters.add(gauge(registry, INCOMPLETE_FRAMES, "frames", "Frames that are not complete yet", tags, stats,
				ReadPathStats::incompleteFrames));
		meters.add(gauge(registry, INCOMPLETE_BYTES, "bytes", "Bytes of incomplete frames held in the process", tags,
				stats, ReadPathStats::incompleteBytes));
		meters.add(gauge(registry, CONNECTIONS, "connections", "Connections open now", tags, stats,
				ReadPathStats::connections));
		meters.add(FunctionCounter.builder(BUFFERS_TAKEN, stats, (s) -> s.readBuffersTaken())
			.baseUnit("buffers")
			.description("Read buffers taken from the pool")
			.tags(tags)
			.register(registry));
		meters.add(FunctionCounter.builder(BUFFERS_DONE, stats, (s) -> s.readBuffersDone())
			.baseUnit("buffers")
			.description("Read buffers the read path is done with: released, or their bytes handed on to gRPC")
			.tags(tags)
			.register(registry));
		meters.add(FunctionCounter.builder(BYTES_READ, stats, (s) -> s.bytesRead())
			.baseUnit("bytes")
			.description("Bytes read from the sockets")
			.tags(tags)
			.register(registry));
		if (this.transport.eventLoops().readBufferRing() != null) {
			meters.add(FunctionCounter.builder(RING_EXHAUSTIONS, stats, (s) -> s.ringExhaustions())
				.baseUnit("receives")
				.description("Receives that found the io_uring read buffer ring empty")
				.tags(tags)
				.register(registry));
		}
		return meters;
	}

	private static Meter gauge(MeterRegistry registry, String name, String unit, String description, Tags tags,
			ReadPathStats stats, ToDoubleFunction<ReadPathStats> value) {
		return Gauge.builder(name, stats, value).baseUnit(unit).description(description).tags(tags).register(registry);
	}

	/** An owner's meters in one registry, and the security they are tagged with. */
	private record Registered(ConnectionSecurity security, List<Meter> meters) {
	}

	/** Stops looking for new channels; registered meters stay. */
	@Override
	public void close() {
		ScheduledFuture<?> refresh = this.refresh;
		if (refresh != null) {
			refresh.cancel(false);
		}
	}

}
