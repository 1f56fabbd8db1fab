package io.github.readyread.grpc.micrometer;

import java.time.Duration;

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
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ReadPathMetrics}.
 */
class ReadPathMetricsTests {

	private NettyTransport netty;

	private final ReadPathRegistry readPaths = new ReadPathRegistry();

	private ReadyReadTransport transport;

	private ReadPathMetrics metrics;

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	@BeforeEach
	void start() {
		this.netty = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO, Duration.ofSeconds(1));
		PooledBufferAllocator pool = new PooledBufferAllocator(
				new PoolSettings(1024 * 1024, 1, true, Duration.ZERO, true));
		this.transport = new ReadyReadTransport(this.netty, pool, TransportSettings.defaults(), this.readPaths);
		this.metrics = new ReadPathMetrics(this.transport, this.readPaths);
	}

	@AfterEach
	void stop() {
		this.metrics.close();
		this.transport.close();
		this.netty.close();
	}

	@Test
	void channelsKnownAtBindingGetMetersWithLowCardinalityTags() {
		configureChannel("first");
		this.metrics.bindTo(this.registry);
		for (String name : new String[] { ReadPathMetrics.PINNED, ReadPathMetrics.INCOMPLETE_FRAMES,
				ReadPathMetrics.INCOMPLETE_BYTES, ReadPathMetrics.CONNECTIONS, ReadPathMetrics.BUFFERS_TAKEN,
				ReadPathMetrics.BUFFERS_DONE, ReadPathMetrics.BYTES_READ }) {
			Meter meter = this.registry.get(name).meter();
			assertThat(meter.getId().getTag("owner")).isEqualTo("channel");
			assertThat(meter.getId().getTag("channel")).isEqualTo("first");
			assertThat(meter.getId().getTag("security")).isEqualTo("plaintext");
			assertThat(meter.getId().getTag("mode")).isEqualTo("fallback");
			assertThat(meter.getId().getTags()).hasSize(4);
		}
		assertThat(this.registry.get(ReadPathMetrics.PINNED).gauge().getId().getBaseUnit()).isEqualTo("bytes");
		assertThat(this.registry.get(ReadPathMetrics.INCOMPLETE_BYTES).gauge().getId().getBaseUnit())
			.isEqualTo("bytes");
	}

	@Test
	void metersFollowTheChannelsFigures() {
		configureChannel("first");
		this.metrics.bindTo(this.registry);
		ReadPathStats stats = this.readPaths.channel("first").stats();
		stats.readBufferTaken(4096);
		stats.readBufferTaken(4096);
		stats.readBufferDone(4096);
		stats.incompleteFrameStarted();
		stats.incompleteBytesAdded(100, 128);
		stats.connectionOpened();
		stats.bytesRead(1500);
		assertThat(this.registry.get(ReadPathMetrics.BYTES_READ).tag("channel", "first").functionCounter().count())
			.isEqualTo(1500);
		assertThat(gauge(ReadPathMetrics.PINNED, "first").value()).isEqualTo(4096 + 128);
		assertThat(gauge(ReadPathMetrics.INCOMPLETE_FRAMES, "first").value()).isEqualTo(1);
		assertThat(gauge(ReadPathMetrics.INCOMPLETE_BYTES, "first").value()).isEqualTo(100);
		assertThat(gauge(ReadPathMetrics.CONNECTIONS, "first").value()).isEqualTo(1);
		assertThat(counter(ReadPathMetrics.BUFFERS_TAKEN, "first").count()).isEqualTo(2);
		assertThat(counter(ReadPathMetrics.BUFFERS_DONE, "first").count()).isEqualTo(1);
		stats.incompleteBytesRemoved(100, 128);
		stats.incompleteFrameEnded();
		assertThat(gauge(ReadPathMetrics.INCOMPLETE_BYTES, "first").value()).isZero();
		assertThat(gauge(ReadPathMetrics.INCOMPLETE_FRAMES, "first").value()).isZero();
	}

	@Test
	void channelsCreatedAfterBindingGetMetersWithoutAnotherBinding() {
		this.metrics.bindTo(this.registry);
		assertThat(this.registry.find(ReadPathMetrics.PINNED).meters()).isEmpty();
		configureChannel("late");
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.registry.find(ReadPathMetrics.PINNED).tag("channel", "late").gauge())
				.isNotNull());
	}

	@Test
	void eachChannelIsRegisteredOnce() {
		configureChannel("first");
		this.metrics.bindTo(this.registry);
		this.metrics.refresh();
		this.metrics.refresh();
		assertThat(this.registry.find(ReadPathMetrics.PINNED).meters()).hasSize(1);
		assertThat(this.registry.getMeters()).hasSize(7);
	}

	@Test
	void channelMeterLimitLeavesFurtherChannelsWithoutMetersAndTheServerAlone() {
		this.registry.config().meterFilter(new ChannelMeterLimit(2, "raise it"));
		configureChannel("first");
		configureChannel("second");
		this.transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext());
		this.metrics.bindTo(this.registry);
		configureChannel("third");
		configureChannel("first");
		this.metrics.refresh();
		for (String name : new String[] { ReadPathMetrics.PINNED, ReadPathMetrics.CONNECTIONS,
				ReadPathMetrics.BUFFERS_TAKEN }) {
			assertThat(this.registry.find(name).meters()).extracting((meter) -> meter.getId().getTag("channel"))
				.containsExactlyInAnyOrder("first", "second", "server");
		}
	}

	@Test
	void aChannelBuiltAgainWithOtherSecurityIsTaggedWithItsNewSecurity() {
		configureChannel("first");
		this.metrics.bindTo(this.registry);
		this.readPaths.channel("first").stats().readBufferTaken(4096);
		NettyChannelBuilder tls = NettyChannelBuilder.forTarget("static://127.0.0.1:1");
		this.transport.configure(tls, "first", "static://127.0.0.1:1", TransportSecurity.kept());
		this.metrics.refresh();
		assertThat(this.registry.find(ReadPathMetrics.PINNED).meters()).singleElement()
			.satisfies((meter) -> assertThat(meter.getId().getTag("security")).isEqualTo("tls"));
		assertThat(this.registry.get(ReadPathMetrics.BUFFERS_TAKEN).tag("security", "tls").functionCounter().count())
			.as("the figures go on counting")
			.isEqualTo(1);
		configureChannel("first");
		this.metrics.refresh();
		assertThat(this.registry.find(ReadPathMetrics.PINNED).meters()).singleElement()
			.satisfies((meter) -> assertThat(meter.getId().getTag("security")).isEqualTo("plaintext"));
	}

	private void configureChannel(String name) {
		this.transport.configure(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext(), name,
				"static://127.0.0.1:1", TransportSecurity.plaintext());
	}

	private Gauge gauge(String name, String channel) {
		return this.registry.get(name).tag("channel", channel).gauge();
	}

	private FunctionCounter counter(String name, String channel) {
		return this.registry.get(name).tag("channel", channel).functionCounter();
	}

}
