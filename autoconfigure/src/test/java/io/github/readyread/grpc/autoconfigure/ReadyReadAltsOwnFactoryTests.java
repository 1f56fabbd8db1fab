package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.Channel;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.config.GrpcServerProperties;
import net.devh.boot.grpc.server.serverfactory.GrpcServerConfigurer;
import net.devh.boot.grpc.server.serverfactory.GrpcServerLifecycle;
import net.devh.boot.grpc.server.serverfactory.NettyGrpcServerFactory;
import net.devh.boot.grpc.server.service.GrpcServiceDiscoverer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * ALTS asked for a server that a factory of the application's own builds: startup fails
 * unless the factory applies the starter's configurers, since ALTS is applied only
 * through them.
 */
class ReadyReadAltsOwnFactoryTests {

	private static final Class<?>[] AUTO_CONFIGURATIONS = { ReadyReadAltsAutoConfiguration.class,
			ReadyReadAltsOffAutoConfiguration.class, ReadyReadAutoConfiguration.class,
			ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
			GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
			GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class };

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AUTO_CONFIGURATIONS))
		.withPropertyValues("grpc.ready-read.event-loop.threads=2",
				"grpc.ready-read.alts.embedded-handshaker.enabled=true")
		.withBean(EchoService.class);

	@Test
	void altsServerFromAnOwnFactoryWithoutTheConfigurersFailsStartupAndIsShutDown() throws IOException {
		int port = freePort();
		this.contextRunner.withUserConfiguration(OwnServerFactoryWithoutConfigurers.class)
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
					"grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.isInstanceOf(IllegalStateException.class)
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("127.0.0.1:" + port)
					.hasMessageContaining("a GrpcServerFactory bean of the application's own")
					.hasMessageContaining("GrpcServerConfigurer")
					.hasMessageContaining("has been shut down");
				assertClosed(port);
			});
	}

	@Test
	void altsServerFromAnOwnFactoryWithoutTheConfigurersFailsStartupUnderLazyInitialization() throws IOException {
		int port = freePort();
		this.contextRunner.withUserConfiguration(OwnServerFactoryWithoutConfigurers.class)
			.withInitializer(
					(context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
					"grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining("grpc.ready-read.alts.server=true");
				assertClosed(port);
			});
	}

	@Test
	void altsServerFromAnOwnFactoryThatAppliesTheConfigurersRunsAlts() throws IOException {
		int port = freePort();
		this.contextRunner.withUserConfiguration(OwnServerFactoryWithConfigurers.class)
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
					"grpc.ready-read.alts.server=true", "grpc.ready-read.alts.client-channels=secure",
					"grpc.client.secure.address=static://127.0.0.1:" + port,
					"grpc.client.secure.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				Channel secure = context.getBean(GrpcChannelFactory.class).createChannel("secure");
				assertThat(EchoService.call(secure, new byte[] { 4, 2 })).containsExactly(4, 2);
				assertThat(context.getBean(ReadPathRegistry.class).server().security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	@Test
	void plaintextServerFromAnOwnFactoryWithoutTheConfigurersStartsWhenAltsIsNotAsked() {
		this.contextRunner.withUserConfiguration(OwnServerFactoryWithoutConfigurers.class)
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=0")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void inProcessServerStartsWithAltsAskedForTheServer() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.server.in-process-name=altsOwnFactoryTests",
					"grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(ReadPathRegistry.class).server()).isNull();
			});
	}

	private static void assertClosed(int port) {
		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close());
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class OwnServerFactoryWithoutConfigurers {

		@Bean
		NettyGrpcServerFactory ownServerFactory(GrpcServerProperties properties, GrpcServiceDiscoverer services) {
			NettyGrpcServerFactory factory = new NettyGrpcServerFactory(properties, List.of());
			services.findGrpcServices().forEach(factory::addService);
			return factory;
		}

		@Bean
		GrpcServerLifecycle ownServerLifecycle(NettyGrpcServerFactory factory, ApplicationEventPublisher publisher) {
			return new GrpcServerLifecycle(factory, Duration.ZERO, publisher);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnServerFactoryWithConfigurers {

		@Bean
		NettyGrpcServerFactory ownServerFactory(GrpcServerProperties properties, GrpcServiceDiscoverer services,
				List<GrpcServerConfigurer> configurers) {
			NettyGrpcServerFactory factory = new NettyGrpcServerFactory(properties, configurers);
			services.findGrpcServices().forEach(factory::addService);
			return factory;
		}

		@Bean
		GrpcServerLifecycle ownServerLifecycle(NettyGrpcServerFactory factory, ApplicationEventPublisher publisher) {
			return new GrpcServerLifecycle(factory, Duration.ZERO, publisher);
		}

	}

}
