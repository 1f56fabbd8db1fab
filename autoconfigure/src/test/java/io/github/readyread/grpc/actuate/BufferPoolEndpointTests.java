package io.github.readyread.grpc.actuate;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint.BufferPoolDescriptor;
import io.github.readyread.grpc.actuate.BufferPoolEndpoint.ChannelDescriptor;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.info.Info;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link BufferPoolEndpoint} and {@link ReadyReadInfoContributor}.
 */
class BufferPoolEndpointTests {

	private NettyTransport netty;

	private PooledBufferAllocator pool;

	private final ReadPathRegistry registry = new ReadPathRegistry();

	private ReadyReadTransport transport;

	private BufferPoolEndpoint endpoint;

	@BeforeEach
	void start() {
		this.netty = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO, Duration.ofSeconds(1));
		this.pool = new PooledBufferAllocator(new PoolSettings(1024 * 1024, 2, true, Duration.ZERO, true));
		this.transport = new ReadyReadTransport(this.netty, this.pool, TransportSettings.defaults(), this.registry);
		this.transport.configure(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext(), "first",
				"static://127.0.0.1:1", TransportSecurity.plaintext());
		this.transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext());
		this.endpoint = new BufferPoolEndpoint(this.transport, this.registry);
	}

	@AfterEach
	void stop() {
		this.transport.close();
		this.netty.close();
	}

	@Test
	void describesModeTransportAndReadPath() {
		BufferPoolDescriptor descriptor = this.endpoint.bufferPool();
		assertThat(descriptor.mode()).isEqualTo("fallback");
		assertThat(descriptor.fallbackReason()).isEqualTo(this.transport.fallbackReason()).contains("NIO");
		assertThat(descriptor.transport()).isEqualTo("nio");
		assertThat(descriptor.readPath()).isEqualTo("ready");
		assertThat(descriptor.readSizing()).isEqualTo("adaptive");
		assertThat(descriptor.dataFrames()).isEqualTo("slice-filled-reads");
		assertThat(descriptor.readBufferRing()).as("no rings off io_uring").isNull();
	}

	/**
	 * While buffers are taken and done on another thread, no snapshot shows more done
	 * than taken.
	 */
	@Test
	void readBuffersDoneNeverExceedTakenInASnapshot() throws InterruptedException {
		ReadPathStats stats = this.registry.channel("first").stats();
		AtomicBoolean reading = new AtomicBoolean(true);
		Thread reader = new Thread(() -> {
			while (reading.get()) {
				stats.readBufferTaken(1);
				stats.readBufferDone(1);
			}
		});
		reader.start();
		try {
			for (int i = 0; i < 100_000; i++) {
				BufferPoolDescriptor descriptor = this.endpoint.bufferPool();
				ChannelDescriptor channel = descriptor.channels().get("first");
				assertThat(channel.readBuffersDone()).isLessThanOrEqualTo(channel.readBuffersTaken());
				assertThat(descriptor.readPathTotals().readBuffersDone())
					.isLessThanOrEqualTo(descriptor.readPathTotals().readBuffersTaken());
			}
		}
		finally {
			reading.set(false);
			reader.join();
		}
		assertThat(stats.readBuffersTaken()).isPositive();
	}

	@Test
	void poolFiguresAreThePoolsOwn() {
		ByteBuf buffer = this.pool.allocator().directBuffer(10_000);
		try {
			BufferPoolEndpoint.PoolDescriptor pool = this.endpoint.bufferPool().pool();
			assertThat(pool.pinned().direct()).isEqualTo(this.pool.pinnedDirectBytes()).isGreaterThanOrEqualTo(10_000);
			assertThat(pool.pinned().heap()).isEqualTo(this.pool.pinnedHeapBytes());
			assertThat(pool.reserved().direct()).isEqualTo(this.pool.reservedDirectBytes()).isEqualTo(1024 * 1024);
			assertThat(pool.reserved().heap()).isEqualTo(this.pool.reservedHeapBytes());
			assertThat(pool.chunkSize()).isEqualTo(1024 * 1024);
			assertThat(pool.arenas().direct()).isEqualTo(2);
			assertThat(pool.arenas().heap()).isEqualTo(2);
			assertThat(pool.threadLocalCaches()).isEqualTo(this.pool.metric().numThreadLocalCaches());
			assertThat(pool.settings().chunkSize()).isEqualTo(1024 * 1024);
			assertThat(pool.settings().arenas()).isEqualTo(2);
			assertThat(pool.settings().threadCaches()).isTrue();
			assertThat(pool.settings().cacheTrimInterval()).isEqualTo("PT0S");
			assertThat(pool.settings().preferDirect()).isTrue();
		}
		finally {
			buffer.release();
		}
		assertThat(this.endpoint.bufferPool().pool().pinned().direct()).isZero();
	}

	@Test
	void readPathTotalsSumEveryChannelAndTheServer() {
		ReadPathStats first = this.registry.channel("first").stats();
		ReadPathStats server = this.registry.server().stats();
		first.readBufferTaken(4096);
		first.readBufferTaken(1024);
		first.readBufferDone(1024);
		first.incompleteFrameStarted();
		first.incompleteBytesAdded(300, 512);
		server.incompleteFrameStarted();
		server.incompleteBytesAdded(100, 128);
		BufferPoolEndpoint.ReadPathDescriptor totals = this.endpoint.bufferPool().readPathTotals();
		assertThat(totals.pinnedBytes()).isEqualTo(4096 + 512 + 128);
		assertThat(totals.incompleteFrames()).isEqualTo(2);
		assertThat(totals.incompleteBytes()).isEqualTo(400);
		assertThat(totals.readBuffersTaken()).isEqualTo(2);
		assertThat(totals.readBuffersDone()).isEqualTo(1);
	}

	@Test
	void listsEveryChannelAndTheServer() {
		this.registry.channel("first").stats().incompleteBytesAdded(300, 512);
		BufferPoolDescriptor descriptor = this.endpoint.bufferPool();
		assertThat(descriptor.channels()).containsOnlyKeys("first");
		ChannelDescriptor first = descriptor.channels().get("first");
		assertThat(first.name()).isEqualTo("first");
		assertThat(first.target()).isEqualTo("static://127.0.0.1:1");
		assertThat(first.security()).isEqualTo("plaintext");
		assertThat(first.readPath()).isEqualTo("ready");
		assertThat(first.liveConnections()).isZero();
		assertThat(first.pinnedBytes()).isEqualTo(512);
		assertThat(first.incompleteBytes()).isEqualTo(300);
		assertThat(descriptor.server().name()).isEqualTo("server");
		assertThat(descriptor.server().target()).isEmpty();
		assertThat(descriptor.server().security()).isEqualTo("plaintext");
	}

	@Test
	void selectorReturnsOneChannel() {
		this.registry.channel("first").stats().readBufferTaken(2048);
		ChannelDescriptor first = this.endpoint.channel("first");
		assertThat(first).isEqualTo(this.endpoint.bufferPool().channels().get("first"));
		assertThat(first.pinnedBytes()).isEqualTo(2048);
		assertThat(first.readBuffersTaken()).isEqualTo(1);
		assertThat(this.endpoint.channel("server")).as("the server is not a channel").isNull();
	}

	@Test
	void selectorReturnsNullForAnUnknownName() {
		assertThat(this.endpoint.channel("nope")).isNull();
	}

	@Test
	void infoShowsModeTransportAndReadPath() {
		Info.Builder builder = new Info.Builder();
		new ReadyReadInfoContributor(this.transport).contribute(builder);
		assertThat(builder.build().getDetails()).containsOnlyKeys("grpc");
		assertThat(builder.build().getDetails().get("grpc"))
			.hasToString("{ready-read={mode=fallback, transport=nio, readPath=ready}}");
	}

}
