package io.github.readyread.grpc.actuate;

import java.time.Duration;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint.BufferPoolDescriptor;
import io.github.readyread.grpc.actuate.BufferPoolEndpoint.RingDescriptor;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.micrometer.ReadPathMetrics;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.uring.IoUring;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for the io_uring read buffer rings in {@link BufferPoolEndpoint} and
 * {@link ReadPathMetrics}.
 */
class ReadBufferRingObservabilityTests {

	private NettyTransport netty;

	private PooledBufferAllocator pool;

	private final ReadPathRegistry registry = new ReadPathRegistry();

	private ReadyReadTransport transport;

	@BeforeEach
	void start() throws Exception {
		assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(), "io_uring unavailable");
		this.pool = new PooledBufferAllocator(new PoolSettings(1024 * 1024, 1, false, Duration.ZERO, true));
		this.netty = NettyTransport.select(TransportType.IO_URING, 1, Duration.ZERO, Duration.ofSeconds(1),
				new ReadBufferRing(this.pool.allocator(), 4, 4096));
		this.transport = new ReadyReadTransport(this.netty, this.pool, TransportSettings.defaults(), this.registry);
		this.transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext());
		for (EventExecutor loop : this.netty.workerGroup()) {
			// A loop registers its ring when it starts.
			loop.submit(() -> {
			}).get();
		}
	}

	@AfterEach
	void stop() {
		if (this.transport != null) {
			this.transport.close();
			this.netty.close();
		}
	}

	@Test
	void endpointShowsTheRingsAndTheirExhaustions() {
		this.registry.server().stats().ringExhausted();
		BufferPoolDescriptor descriptor = new BufferPoolEndpoint(this.transport, this.registry).bufferPool();
		assertThat(descriptor.mode()).isEqualTo("ready-read");
		assertThat(descriptor.fallbackReason()).isNull();
		assertThat(descriptor.transport()).isEqualTo("io_uring");
		RingDescriptor ring = descriptor.readBufferRing();
		assertThat(ring.rings()).isEqualTo(1);
		assertThat(ring.entries()).isEqualTo(4);
		assertThat(ring.bufferSize()).isEqualTo(4096);
		assertThat(ring.incremental()).isEqualTo(IoUring.isRegisterBufferRingIncSupported());
		// A ring starts half full, from the shared pool.
		assertThat(ring.buffersInRings()).isEqualTo(2);
		assertThat(ring.bytesInRings()).isEqualTo(2 * 4096).isLessThanOrEqualTo(this.pool.pinnedDirectBytes());
		assertThat(ring.exhaustions()).isEqualTo(1);
	}

	@Test
	void metersFollowTheRingsAndTheExhaustionsOfEachOwner() {
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		try (ReadPathMetrics metrics = new ReadPathMetrics(this.transport, this.registry)) {
			metrics.bindTo(registry);
			this.registry.server().stats().ringExhausted();
			assertThat(registry.get(ReadPathMetrics.RING_BUFFERS).gauge().value()).isEqualTo(2);
			assertThat(registry.get(ReadPathMetrics.RING_BYTES).gauge().value()).isEqualTo(2 * 4096);
			assertThat(registry.get(ReadPathMetrics.RING_EXHAUSTIONS).tag("owner", "server").functionCounter().count())
				.isEqualTo(1);
		}
	}

}
