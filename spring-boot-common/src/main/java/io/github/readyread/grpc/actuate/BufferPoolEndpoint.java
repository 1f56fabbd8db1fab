package io.github.readyread.grpc.actuate;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSettings;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * {@link Endpoint @Endpoint} that shows the shared pool, the read path, the gRPC server
 * and every gRPC client channel: what they hold of the pool now.
 */
@Endpoint(id = "bufferpool")
public class BufferPoolEndpoint {

	private final ReadyReadTransport transport;

	private final ReadPathRegistry registry;

	/**
	 * An endpoint over the figures of {@code registry}.
	 * @param transport the transport, for its mode and settings
	 * @param registry the server and the channels it configured, with their figures
	 */
	public BufferPoolEndpoint(ReadyReadTransport transport, ReadPathRegistry registry) {
		this.transport = transport;
		this.registry = registry;
	}

	/**
	 * The whole picture: mode, pool, read path totals, the server and every channel.
	 * @return the descriptor
	 */
	@ReadOperation
	public BufferPoolDescriptor bufferPool() {
		Map<String, ChannelDescriptor> channels = new TreeMap<>();
		this.registry.channels().forEach((name, channel) -> channels.put(name, describe(channel)));
		long pinned = 0;
		long incompleteFrames = 0;
		long incompleteBytes = 0;
		long taken = 0;
		long done = 0;
		long exhaustions = 0;
		for (Registration registration : this.registry.registrations()) {
			ReadPathStats stats = registration.stats();
			pinned += stats.pinnedBytes();
			incompleteFrames += stats.incompleteFrames();
			incompleteBytes += stats.incompleteBytes();
			// Done before taken: a buffer taken and done between the two reads then
			// never shows as done without its take.
			long doneSoFar = stats.readBuffersDone();
			taken += stats.readBuffersTaken();
			done += doneSoFar;
			exhaustions += stats.ringExhaustions();
		}
		Registration server = this.registry.server();
		TransportSettings settings = this.transport.settings();
		return new BufferPoolDescriptor(this.transport.mode().displayName(), this.transport.fallbackReason(),
				this.transport.eventLoops().type().displayName(), lowercase(settings.readPath()),
				lowercase(settings.readSizing()), kebab(settings.dataFrames()), describe(this.transport.pool()),
				new ReadPathDescriptor(pinned, incompleteFrames, incompleteBytes, taken, done),
				describe(this.transport.eventLoops().readBufferRing(), exhaustions),
				(server != null) ? describe(server) : null, channels);
	}

	/**
	 * One client channel (the server is in the {@link #bufferPool() whole picture}).
	 * @param name the client channel name
	 * @return the channel's descriptor, or {@code null} (404) if there is no such channel
	 */
	@ReadOperation
	public @Nullable ChannelDescriptor channel(@Selector String name) {
		Registration channel = this.registry.channel(name);
		return (channel != null) ? describe(channel) : null;
	}

	private static ChannelDescriptor describe(Registration registration) {
		ReadPathStats stats = registration.stats();
		long done = stats.readBuffersDone();
		return new ChannelDescriptor(registration.name(), registration.target(), registration.security().displayName(),
				lowercase(registration.readPath()), stats.connections(), stats.pinnedBytes(), stats.incompleteFrames(),
				stats.incompleteBytes(), stats.readBuffersTaken(), done, stats.bytesRead());
	}

	private static String lowercase(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT);
	}

	/** As the property's value is written: {@code slice-filled-reads}. */
	private static String kebab(Enum<?> value) {
		return lowercase(value).replace('_', '-');
	}

	private static @Nullable RingDescriptor describe(@Nullable ReadBufferRing ring, long exhaustions) {
		if (ring == null) {
			return null;
		}
		return new RingDescriptor(ring.rings(), ring.entries(), ring.bufferSize(), ring.incremental(),
				ring.buffersInRings(), ring.bytesInRings(), ring.buffersReturned(), exhaustions);
	}

	private static PoolDescriptor describe(PooledBufferAllocator pool) {
		PooledByteBufAllocatorMetric metric = pool.metric();
		PoolSettings settings = pool.settings();
		return new PoolDescriptor(new Memory(pool.reservedDirectBytes(), pool.reservedHeapBytes()),
				new Memory(pool.pinnedDirectBytes(), pool.pinnedHeapBytes()), metric.chunkSize(),
				new Arenas(metric.numDirectArenas(), metric.numHeapArenas()), metric.numThreadLocalCaches(),
				new SettingsDescriptor(settings.chunkSize(), settings.arenas(), settings.threadCaches(),
						settings.cacheTrimInterval().toString(), settings.preferDirect()));
	}

	/**
	 * Description of the pool, the read path and every channel.
	 *
	 * @param mode {@code ready-read} or {@code fallback}
	 * @param fallbackReason why the mode is a fallback, {@code null} in ready-read mode
	 * @param transport {@code epoll}, {@code io_uring} or {@code nio}
	 * @param readPath {@code ready} or {@code conventional}
	 * @param readSizing {@code adaptive} or {@code exact} (reads of the ready read path)
	 * @param dataFrames {@code slice-filled-reads} or {@code copy} (what the ready read
	 * path hands gRPC DATA payloads in)
	 * @param pool the shared pool
	 * @param readPathTotals read path figures summed over every channel and the server
	 * @param readBufferRing the io_uring read buffer rings, {@code null} on another
	 * transport
	 * @param server the gRPC server, {@code null} if there is none
	 * @param channels every client channel, by name
	 */
	public record BufferPoolDescriptor(String mode, @Nullable String fallbackReason, String transport, String readPath,
			String readSizing, String dataFrames, PoolDescriptor pool, ReadPathDescriptor readPathTotals,
			@Nullable RingDescriptor readBufferRing, @Nullable ChannelDescriptor server,
			Map<String, ChannelDescriptor> channels) implements OperationResponseBody {
	}

	/**
	 * The io_uring read buffer rings: one per worker event loop, buffers from the pool,
	 * picked by the kernel when bytes arrive.
	 *
	 * @param rings rings configured, one per worker event loop (each registered with the
	 * kernel as its loop starts, on its first channel)
	 * @param entries buffers per ring at most
	 * @param bufferSize bytes per ring buffer
	 * @param incremental whether the kernel consumes a buffer over several receives
	 * @param buffersInRings buffers the rings hold now, waiting for bytes
	 * @param bytesInRings pool bytes the rings hold now (part of the pool's pinned bytes)
	 * @param buffersReturned ring buffers filled and handed on (or released at close) so
	 * far
	 * @param exhaustions receives that found a ring empty so far (retried once refilled)
	 */
	public record RingDescriptor(int rings, int entries, int bufferSize, boolean incremental, long buffersInRings,
			long bytesInRings, long buffersReturned, long exhaustions) {
	}

	/**
	 * Description of the shared pool.
	 *
	 * @param reserved bytes the arenas hold from the system, in use or not
	 * @param pinned bytes handed out in buffers not released yet
	 * @param chunkSize bytes per chunk
	 * @param arenas number of arenas
	 * @param threadLocalCaches thread caches as Netty counts them: one per thread that
	 * has taken a buffer from the pool; only event loop threads keep buffers in theirs
	 * @param settings the settings the pool was created with
	 */
	public record PoolDescriptor(Memory reserved, Memory pinned, int chunkSize, Arenas arenas, int threadLocalCaches,
			SettingsDescriptor settings) {
	}

	/**
	 * Bytes of direct and of heap memory.
	 *
	 * @param direct direct bytes
	 * @param heap heap bytes
	 */
	public record Memory(long direct, long heap) {
	}

	/**
	 * Number of direct and of heap arenas.
	 *
	 * @param direct direct arenas
	 * @param heap heap arenas
	 */
	public record Arenas(int direct, int heap) {
	}

	/**
	 * Settings of the pool.
	 *
	 * @param chunkSize bytes per chunk
	 * @param arenas arenas of each kind
	 * @param threadCaches whether event loop threads cache freed buffers
	 * @param cacheTrimInterval ISO-8601 trim interval, {@code PT0S} for never
	 * @param preferDirect whether buffers are direct by default
	 */
	public record SettingsDescriptor(int chunkSize, int arenas, boolean threadCaches, String cacheTrimInterval,
			boolean preferDirect) {
	}

	/**
	 * Read path figures summed over every channel and the server.
	 *
	 * @param pinnedBytes pool bytes the read path holds now
	 * @param incompleteFrames frames not complete yet
	 * @param incompleteBytes bytes of those frames held in the process
	 * @param readBuffersTaken read buffers taken from the pool so far
	 * @param readBuffersDone read buffers the read path is done with so far: released, or
	 * their bytes handed on to gRPC (which may keep a slice until the message is read)
	 */
	public record ReadPathDescriptor(long pinnedBytes, long incompleteFrames, long incompleteBytes,
			long readBuffersTaken, long readBuffersDone) {
	}

	/**
	 * Description of one client channel or of the server.
	 *
	 * @param name channel name, or {@code server}
	 * @param target target address, empty for the server
	 * @param security {@code plaintext}, {@code alts}, {@code tls},
	 * {@code plaintext-upgrade} or {@code custom} (a negotiator the application
	 * installed)
	 * @param readPath {@code ready} or {@code conventional}
	 * @param liveConnections connections open now
	 * @param pinnedBytes pool bytes the channel's read path holds now
	 * @param incompleteFrames frames not complete yet
	 * @param incompleteBytes bytes of those frames held in the process
	 * @param readBuffersTaken read buffers taken from the pool so far
	 * @param readBuffersDone read buffers the read path is done with so far: released, or
	 * their bytes handed on to gRPC (which may keep a slice until the message is read)
	 * @param bytesRead bytes read from the channel's sockets so far
	 */
	public record ChannelDescriptor(String name, String target, String security, String readPath, long liveConnections,
			long pinnedBytes, long incompleteFrames, long incompleteBytes, long readBuffersTaken, long readBuffersDone,
			long bytesRead) implements OperationResponseBody {
	}

}
