package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.micrometer.ChannelMeterLimit;
import io.github.readyread.grpc.micrometer.ReadPathMetrics;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadyReadMetricsAutoConfiguration}.
 */
class ReadyReadMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("grpc.ready-read.event-loop.threads=2")
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class));

	@Test
	void bindsNettyAllocatorMetricsToTheSharedPoolOnce() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(NettyAllocatorMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			PooledBufferAllocator pool = context.getBean(PooledBufferAllocator.class);
			String id = String.valueOf(pool.nettyAllocator().hashCode());
			assertThat(registry.find("netty.allocator.memory.pinned").gauges()).hasSize(2)
				.allSatisfy((gauge) -> assertThat(gauge.getId().getTag("id")).isEqualTo(id));
			ByteBuf buffer = pool.allocator().directBuffer(10_000);
			try {
				Gauge direct = registry.get("netty.allocator.memory.pinned").tag("memory.type", "direct").gauge();
				assertThat((long) direct.value()).isEqualTo(pool.pinnedDirectBytes()).isGreaterThanOrEqualTo(10_000);
			}
			finally {
				buffer.release();
			}
		});
	}

	@Test
	void bindsEventExecutorMetricsToBossAndWorkersOnce() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(NettyEventExecutorMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			// one boss thread and two workers
			assertThat(registry.find("netty.eventexecutor.tasks.pending").gauges()).hasSize(3);
		});
	}

	@Test
	void registersReadPathMetersOfChannelsAsTheyAppear() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(ReadPathMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find(ReadPathMetrics.PINNED).meters()).isEmpty();
			ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
			ReadPathStats late = transport
				.configure(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext(), "late",
						"static://127.0.0.1:1", TransportSecurity.plaintext())
				.stats();
			context.getBean(ReadPathMetrics.class).refresh();
			late.readBufferTaken(2048);
			assertThat(registry.get(ReadPathMetrics.PINNED).tag("channel", "late").gauge().value()).isEqualTo(2048);
			assertThat(registry.get(ReadPathMetrics.BUFFERS_TAKEN).tag("channel", "late").functionCounter().count())
				.isEqualTo(1);
		});
	}

	@Test
	void channelsPastTheLimitGetNoMetersOfTheirOwn() {
		this.contextRunner.withPropertyValues("grpc.ready-read.metrics.max-channels=1").run((context) -> {
			assertThat(context).hasSingleBean(ChannelMeterLimit.class);
			ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
			for (String name : new String[] { "first", "second" }) {
				transport.configure(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext(), name,
						"static://127.0.0.1:1", TransportSecurity.plaintext());
			}
			context.getBean(ReadPathMetrics.class).refresh();
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find(ReadPathMetrics.PINNED).meters())
				.extracting((meter) -> meter.getId().getTag("channel"))
				.containsExactly("first");
		});
	}

	@Test
	void backsOffWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer.core")).run((context) -> {
			assertThat(context).hasSingleBean(ReadyReadTransport.class);
			assertThat(context).doesNotHaveBean(ReadPathMetrics.class);
			assertThat(context).doesNotHaveBean("readyReadNettyAllocatorMetrics");
		});
	}

	@Test
	void backsOffWithoutAMeterRegistry() {
		new ApplicationContextRunner().withPropertyValues("grpc.ready-read.event-loop.threads=1")
			.withConfiguration(
					AutoConfigurations.of(ReadyReadAutoConfiguration.class, ReadyReadMetricsAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasSingleBean(ReadyReadTransport.class);
				assertThat(context).doesNotHaveBean(ReadPathMetrics.class);
				assertThat(context).doesNotHaveBean(NettyAllocatorMetrics.class);
			});
	}

	@Test
	void backsOffWhenTheTransportIsSwitchedOff() {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=false").run((context) -> {
			assertThat(context).hasSingleBean(MeterRegistry.class);
			assertThat(context).doesNotHaveBean(ReadPathMetrics.class);
			assertThat(context).doesNotHaveBean(NettyAllocatorMetrics.class);
			assertThat(context).doesNotHaveBean(NettyEventExecutorMetrics.class);
		});
	}

	@Test
	void userDefinedBindersReplaceOurs() {
		this.contextRunner.withUserConfiguration(UserMetricsConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ReadPathMetrics.class);
			assertThat(context).hasBean("userReadPathMetrics");
			assertThat(context).hasSingleBean(NettyAllocatorMetrics.class);
			assertThat(context.getBean("readyReadNettyAllocatorMetrics"))
				.isSameAs(context.getBean(UserMetricsConfiguration.class).allocatorMetrics);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserMetricsConfiguration {

		NettyAllocatorMetrics allocatorMetrics;

		@Bean
		ReadPathMetrics userReadPathMetrics(ReadyReadTransport transport, ReadPathRegistry registry) {
			return new ReadPathMetrics(transport, registry);
		}

		@Bean
		NettyAllocatorMetrics readyReadNettyAllocatorMetrics(PooledBufferAllocator pool) {
			this.allocatorMetrics = new NettyAllocatorMetrics(pool.nettyAllocator());
			return this.allocatorMetrics;
		}

	}

}
