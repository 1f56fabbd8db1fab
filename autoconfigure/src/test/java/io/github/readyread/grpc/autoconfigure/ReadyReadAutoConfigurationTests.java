package io.github.readyread.grpc.autoconfigure;

import java.time.Duration;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadMode;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringSocketChannel;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import net.devh.boot.grpc.server.serverfactory.NettyGrpcServerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link ReadyReadAutoConfiguration} and the net.devh wiring.
 */
class ReadyReadAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("grpc.server.port=0", "grpc.ready-read.event-loop.threads=2")
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class));

	@Test
	void createsOneSharedPoolTransportAndConfigurers() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(PooledBufferAllocator.class);
			assertThat(context).hasSingleBean(NettyTransport.class);
			assertThat(context).hasSingleBean(ReadyReadTransport.class);
			assertThat(context).hasBean("readyReadChannelConfigurer");
			assertThat(context).hasBean("readyReadServerConfigurer");
			assertThat(context.getBean(ReadyReadTransport.class).pool())
				.isSameAs(context.getBean(PooledBufferAllocator.class));
		});
	}

	@Test
	void autoTransportIsEpollWhereAvailable() {
		this.contextRunner.run((context) -> assertThat(context.getBean(NettyTransport.class).type())
			.isEqualTo(Epoll.isAvailable() ? TransportType.EPOLL : TransportType.NIO));
	}

	@Test
	void transportNioIsForcedByProperty() {
		this.contextRunner.withPropertyValues("grpc.ready-read.transport=nio").run((context) -> {
			NettyTransport transport = context.getBean(NettyTransport.class);
			assertThat(transport.type()).isEqualTo(TransportType.NIO);
			assertThat(transport.socketChannelType()).isEqualTo(NioSocketChannel.class);
			assertThat(context.getBean(ReadyReadTransport.class).mode()).isEqualTo(ReadyReadMode.FALLBACK);
		});
	}

	@Test
	void transportEpollIsForcedByProperty() {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable here");
		this.contextRunner.withPropertyValues("grpc.ready-read.transport=epoll").run((context) -> {
			NettyTransport transport = context.getBean(NettyTransport.class);
			assertThat(transport.type()).isEqualTo(TransportType.EPOLL);
			assertThat(transport.serverChannelType()).isEqualTo(EpollServerSocketChannel.class);
			assertThat(context.getBean(ReadyReadTransport.class).mode()).isEqualTo(ReadyReadMode.READY_READ);
		});
	}

	@Test
	void transportIoUringRunsEveryConnectionOnRingsFromTheSharedPool() {
		assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(), "io_uring unavailable here");
		this.contextRunner
			.withPropertyValues("grpc.ready-read.transport=io_uring", "grpc.ready-read.io-uring.ring-entries=8",
					"grpc.ready-read.io-uring.ring-buffer-size=16KB")
			.run((context) -> {
				NettyTransport transport = context.getBean(NettyTransport.class);
				assertThat(transport.type()).isEqualTo(TransportType.IO_URING);
				assertThat(transport.socketChannelType()).isEqualTo(IoUringSocketChannel.class);
				ReadBufferRing ring = transport.readBufferRing();
				assertThat(ring.allocator()).isSameAs(context.getBean(PooledBufferAllocator.class).allocator());
				assertThat(ring.entries()).isEqualTo(8);
				assertThat(ring.bufferSize()).isEqualTo(16 * 1024);
				assertThat(context.getBean(ReadyReadTransport.class).mode()).isEqualTo(ReadyReadMode.READY_READ);
			});
	}

	@Test
	void conventionalReadPathIsAFallbackThatSaysWhy() {
		this.contextRunner.withPropertyValues("grpc.ready-read.read-path=conventional").run((context) -> {
			ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
			assertThat(transport.settings().readPath()).isEqualTo(ReadPath.CONVENTIONAL);
			assertThat(transport.mode()).isEqualTo(ReadyReadMode.FALLBACK);
			assertThat(transport.fallbackReason()).isNotNull();
		});
	}

	@Test
	void readSizingIsAdaptiveByDefault() {
		this.contextRunner
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().readSizing())
				.isEqualTo(ReadSizing.ADAPTIVE));
	}

	@Test
	void readSizingIsConfiguredFromProperties() {
		this.contextRunner.withPropertyValues("grpc.ready-read.read-sizing=exact")
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().readSizing())
				.isEqualTo(ReadSizing.EXACT));
	}

	@Test
	void dataFramesAreSlicedFromFilledReadsByDefault() {
		this.contextRunner
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().dataFrames())
				.isEqualTo(DataFrames.SLICE_FILLED_READS));
	}

	@Test
	void dataFramesAreConfiguredFromProperties() {
		this.contextRunner.withPropertyValues("grpc.ready-read.data-frames=copy")
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().dataFrames())
				.isEqualTo(DataFrames.COPY));
	}

	@Test
	void startupLineNamesTheDataFrames() {
		this.contextRunner.withPropertyValues("grpc.ready-read.data-frames=copy")
			.run((context) -> assertThat(ReadyReadBuilders.startupLine(context.getBean(ReadyReadTransport.class)))
				.contains(", read-sizing=adaptive, data-frames=copy, read-buffer-size="));
	}

	@Test
	void startupLineNamesTheReadSizing() {
		this.contextRunner.withPropertyValues("grpc.ready-read.read-sizing=exact")
			.run((context) -> assertThat(ReadyReadBuilders.startupLine(context.getBean(ReadyReadTransport.class)))
				.contains(", read-path=ready, read-sizing=exact, data-frames="));
	}

	@Test
	void poolIsConfiguredFromProperties() {
		this.contextRunner
			.withPropertyValues("grpc.ready-read.pool.chunk-size=1MB", "grpc.ready-read.pool.arenas=3",
					"grpc.ready-read.pool.thread-caches=false", "grpc.ready-read.pool.prefer-direct=false")
			.run((context) -> {
				PooledBufferAllocator pool = context.getBean(PooledBufferAllocator.class);
				assertThat(pool.settings().chunkSize()).isEqualTo(1024 * 1024);
				assertThat(pool.metric().numDirectArenas()).isEqualTo(3);
				assertThat(pool.metric().numHeapArenas()).isEqualTo(3);
				assertThat(pool.metric().chunkSize()).isEqualTo(1024 * 1024);
				assertThat(pool.settings().threadCaches()).isFalse();
				assertThat(pool.allocator().isDirectBufferPooled()).isTrue();
				ByteBuf buffer = pool.allocator().buffer(16);
				try {
					assertThat(buffer.isDirect()).isFalse();
				}
				finally {
					buffer.release();
				}
			});
	}

	@Test
	void transportPropertiesMapOntoTheCoreSettings() {
		this.contextRunner
			.withPropertyValues("grpc.ready-read.transport=nio", "grpc.ready-read.read-path=conventional",
					"grpc.ready-read.read-buffer-size=16KB", "grpc.ready-read.read-sizing=exact",
					"grpc.ready-read.data-frames=copy", "grpc.ready-read.event-loop.shutdown-quiet-period=0s",
					"grpc.ready-read.event-loop.shutdown-timeout=2s", "grpc.ready-read.io-uring.ring-entries=8",
					"grpc.ready-read.io-uring.ring-buffer-size=4KB")
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings())
				.isEqualTo(new TransportSettings(TransportType.NIO, 2, Duration.ZERO, Duration.ofSeconds(2), 8, 4096,
						ReadPath.CONVENTIONAL, 16 * 1024, ReadSizing.EXACT, DataFrames.COPY)));
	}

	@Test
	void defaultPropertiesAreTheCoreDefaults() {
		this.contextRunner.withPropertyValues("grpc.ready-read.event-loop.threads=0")
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings())
				.isEqualTo(TransportSettings.defaults()));
	}

	@Test
	void theTransportRegistersInTheRegistryBean() {
		ReadPathRegistry mine = new ReadPathRegistry();
		this.contextRunner.withBean("userRegistry", ReadPathRegistry.class, () -> mine).run((context) -> {
			assertThat(context).hasSingleBean(ReadPathRegistry.class);
			context.getBean(ReadyReadTransport.class)
				.configure(NettyChannelBuilder.forTarget("static://127.0.0.1:1").usePlaintext(), "mine",
						"static://127.0.0.1:1", TransportSecurity.plaintext());
			assertThat(mine.channel("mine")).isNotNull();
		});
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|',
			textBlock = """
					grpc.ready-read.pool.chunk-size=3MB                  | pool.chunk-size
					grpc.ready-read.pool.arenas=0                        | pool.arenas
					grpc.ready-read.pool.cache-trim-interval=-1s         | pool.cache-trim-interval
					grpc.ready-read.read-buffer-size=512B                | read-buffer-size
					grpc.ready-read.event-loop.threads=-1                | event-loop.threads
					grpc.ready-read.event-loop.shutdown-quiet-period=-1s | event-loop.shutdown-quiet-period
					grpc.ready-read.event-loop.shutdown-quiet-period=10s | event-loop.shutdown-timeout
					grpc.ready-read.event-loop.shutdown-timeout=50ms     | event-loop.shutdown-timeout
					grpc.ready-read.metrics.max-channels=-1              | metrics.max-channels
					grpc.ready-read.alts.max-concurrent-handshakes=0,grpc.ready-read.alts.client-channels=* | alts.max-concurrent-handshakes
					grpc.ready-read.transport=io_uring,grpc.ready-read.io-uring.ring-entries=3 | io-uring.ring-entries
					grpc.ready-read.transport=io_uring,grpc.ready-read.io-uring.ring-buffer-size=100B | io-uring.ring-buffer-size
					""")
	void anInvalidValueFailsStartupNamingTheProperty(String properties, String property) {
		this.contextRunner.withPropertyValues(properties.split(","))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("grpc.ready-read." + property));
	}

	@Test
	void ioUringSettingsAreNotCheckedOnAnotherTransport() {
		this.contextRunner
			.withPropertyValues("grpc.ready-read.transport=nio", "grpc.ready-read.io-uring.ring-entries=3",
					"grpc.ready-read.io-uring.ring-buffer-size=100B")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void aQuietPeriodAsLongAsTheTimeoutIsAccepted() {
		this.contextRunner
			.withPropertyValues("grpc.ready-read.event-loop.shutdown-quiet-period=200ms",
					"grpc.ready-read.event-loop.shutdown-timeout=200ms")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void userDefinedPoolReplacesOurs() {
		this.contextRunner.withUserConfiguration(UserPoolConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(PooledBufferAllocator.class);
			assertThat(context.getBean(PooledBufferAllocator.class))
				.isSameAs(context.getBean(UserPoolConfiguration.class).pool);
			assertThat(context.getBean(ReadyReadTransport.class).pool())
				.isSameAs(context.getBean(UserPoolConfiguration.class).pool);
		});
	}

	@Test
	void channelAndServerFactoriesAreOursAndUnshaded() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasBean("readyReadGrpcChannelFactory");
			assertThat(context).hasSingleBean(GrpcChannelFactory.class);
			assertThat(context).hasSingleBean(GrpcServerFactory.class);
			assertThat(context.getBean(GrpcServerFactory.class)).isInstanceOf(NettyGrpcServerFactory.class);
			assertThat(context).doesNotHaveBean("shadedNettyGrpcServerFactory");
		});
	}

	@Test
	void killSwitchBacksOffAndNetDevhDefaultsReturn() {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(PooledBufferAllocator.class);
			assertThat(context).doesNotHaveBean(NettyTransport.class);
			assertThat(context).doesNotHaveBean(ReadyReadTransport.class);
			assertThat(context).doesNotHaveBean("readyReadChannelConfigurer");
			assertThat(context).doesNotHaveBean("readyReadGrpcChannelFactory");
			assertThat(context).doesNotHaveBean("readyReadServerConfigurer");
			assertThat(context.getBean(GrpcChannelFactory.class).getClass().getName()).startsWith("net.devh.");
			assertThat(context).hasSingleBean(GrpcChannelFactory.class);
			assertThat(context).hasSingleBean(GrpcServerFactory.class);
		});
	}

	@ParameterizedTest
	@ValueSource(strings = { "false", "0", "no", "OFF" })
	void killSwitchTakesEveryOffValueThePropertiesBindToFalse(String off) {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=" + off).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(ReadyReadTransport.class);
		});
	}

	@ParameterizedTest
	@ValueSource(strings = { "true", "1", "yes", "On" })
	void killSwitchTakesEveryOnValueThePropertiesBindToTrue(String on) {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=" + on)
			.run((context) -> assertThat(context).hasSingleBean(ReadyReadTransport.class));
	}

	@Test
	void killSwitchThatIsNeitherOnNorOffFailsStartup() {
		this.contextRunner.withPropertyValues("grpc.ready-read.enabled=maybe")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("grpc.ready-read.enabled"));
	}

	@Test
	void backsOffWithoutGrpcNetty() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(NettyChannelBuilder.class)).run((context) -> {
			assertThat(context).doesNotHaveBean(PooledBufferAllocator.class);
			assertThat(context).doesNotHaveBean(ReadyReadTransport.class);
		});
	}

	@Test
	void backsOffWithoutNetDevhClient() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(GrpcChannelFactory.class)).run((context) -> {
			assertThat(context).hasSingleBean(ReadyReadTransport.class);
			assertThat(context).doesNotHaveBean("readyReadChannelConfigurer");
		});
	}

	@Test
	void closingTheContextStopsTheEventLoops() {
		NettyTransport[] transport = new NettyTransport[1];
		this.contextRunner.run((context) -> transport[0] = context.getBean(NettyTransport.class));
		assertThat(transport[0].workerGroup().isTerminated()).isTrue();
		assertThat(transport[0].bossGroup().isTerminated()).isTrue();
	}

	@Configuration(proxyBeanMethods = false)
	static class UserPoolConfiguration {

		final PooledBufferAllocator pool = new PooledBufferAllocator(PoolSettings.defaults());

		@Bean
		PooledBufferAllocator userPool() {
			return this.pool;
		}

	}

}
