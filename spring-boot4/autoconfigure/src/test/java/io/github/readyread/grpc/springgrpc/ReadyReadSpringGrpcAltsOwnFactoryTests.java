package io.github.readyread.grpc.springgrpc;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.grpc.client.autoconfigure.CompositeChannelFactoryAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.SimpleApplicationEventMulticaster;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.NettyGrpcServerFactory;
import org.springframework.grpc.server.ServerBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.scheduling.support.TaskUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ALTS asked for a server that a server factory of the application's own builds: startup
 * fails unless the factory applies the ServerBuilderCustomizer beans, since ALTS is
 * applied only through them.
 */
class ReadyReadSpringGrpcAltsOwnFactoryTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class,
				ReadyReadAltsOffAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, SslAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				CompositeChannelFactoryAutoConfiguration.class))
		.withPropertyValues("grpc.ready-read.alts.embedded-handshaker.enabled=true");

	@Test
	void altsServerFromAnOwnFactoryWithoutTheCustomizersFailsStartupAndIsShutDown() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> ownFactory(port, List.of()))
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.withPropertyValues("grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.isInstanceOf(IllegalStateException.class)
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("127.0.0.1:" + port)
					.hasMessageContaining("a GrpcServerFactory bean of the application's own")
					.hasMessageContaining("ServerBuilderCustomizer")
					.hasMessageContaining("has been shut down");
				assertClosed(port);
			});
	}

	@Test
	void altsServerFromAnOwnFactoryWithoutTheCustomizersFailsStartupUnderLazyInitialization() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> ownFactory(port, List.of()))
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.withInitializer(
					(context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
			.withPropertyValues("grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining("grpc.ready-read.alts.server=true");
				assertClosed(port);
			});
	}

	/**
	 * Whatever the application's event multicaster does with what a listener throws (runs
	 * it on another thread, or logs it), SpringApplication's run fails.
	 */
	@ParameterizedTest
	@ValueSource(classes = { AsynchronousEventMulticaster.class, LoggingEventMulticaster.class })
	void altsServerFromAnOwnFactoryWithoutTheCustomizersFailsStartupWhateverTheEventMulticaster(Class<?> multicaster)
			throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		SpringApplicationBuilder application = new SpringApplicationBuilder(Application.class,
				OwnFactoryWithoutCustomizers.class, multicaster)
			.web(WebApplicationType.NONE)
			.properties("own.port=" + port, "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.server=true");
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(application::run)
			.havingRootCause()
			.isInstanceOf(IllegalStateException.class)
			.withMessageContaining("grpc.ready-read.alts.server=true")
			.withMessageContaining("127.0.0.1:" + port)
			.withMessageContaining("has been shut down");
		assertClosed(port);
	}

	@Test
	void altsServerFromAnOwnFactoryThatAppliesTheCustomizersRunsAlts() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withUserConfiguration(OwnFactoryWithCustomizers.class)
			.withPropertyValues("own.port=" + port, "grpc.ready-read.alts.server=true",
					"grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:" + port)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ReadyReadSpringGrpcAutoConfigurationTests.echo(context, "backend");
				assertThat(context.getBean(ReadPathRegistry.class).server().security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	@Test
	void altsServerFromAnOwnFactoryWithoutTheCustomizersBesideOneWithThemFailsStartup() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		int other = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		// The one with the customizers starts first and is accepted; the other fails.
		this.runner.withUserConfiguration(OwnFactoryWithCustomizers.class, OtherServerWithoutCustomizers.class)
			.withPropertyValues("own.port=" + port, "other.port=" + other, "grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("127.0.0.1:" + other)
				.hasMessageContaining("was not built through the ready-read transport"));
	}

	@Test
	void plaintextServerFromAnOwnFactoryWithoutTheCustomizersStartsWhenAltsIsNotAsked() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> ownFactory(port, List.of()))
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void inProcessServerBesideTheAltsServerIsLeftAlone() {
		this.runner.withBean(EchoService.class)
			.withPropertyValues("spring.grpc.server.port=0", "spring.grpc.server.address=127.0.0.1",
					"spring.grpc.server.inprocess.name=altsOwnFactoryTests", "grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBeansOfType(GrpcServerLifecycle.class)).hasSize(2);
				assertThat(context.getBean(ReadPathRegistry.class).server().security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	@Test
	void altsServerOnADomainSocketFromAnOwnFactoryFailsStartup(@TempDir Path dir) {
		assumeTrue(Epoll.isAvailable());
		// Its own event loops, which the test shuts down.
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
		String socket = dir.resolve("grpc.sock").toString();
		GrpcServerFactory factory = new NettyGrpcServerFactory("unix:" + socket, List.of(), null, null, null) {
			@Override
			protected NettyServerBuilder newServerBuilder() {
				return NettyServerBuilder.forAddress(new DomainSocketAddress(socket))
					.channelType(EpollServerDomainSocketChannel.class)
					.bossEventLoopGroup(group)
					.workerEventLoopGroup(group);
			}
		};
		try {
			this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> factory)
				.withUserConfiguration(LifecycleOfTheFactory.class)
				.withPropertyValues("grpc.ready-read.alts.server=true")
				.run((context) -> assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining(socket)
					.hasMessageContaining("was not built through the ready-read transport")
					.hasMessageContaining("Unix domain socket"));
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	private static NettyGrpcServerFactory ownFactory(int port,
			List<ServerBuilderCustomizer<NettyServerBuilder>> customizers) {
		NettyGrpcServerFactory factory = new NettyGrpcServerFactory("127.0.0.1:" + port, customizers, null, null, null);
		factory.addService(new EchoService().bindService());
		return factory;
	}

	private static void assertClosed(int port) {
		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close());
	}

	/** The auto-configurations of the runner, for a SpringApplication. */
	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class,
			ReadyReadAltsOffAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
			ReadyReadGrpcClientAutoConfiguration.class, SslAutoConfiguration.class, GrpcServerAutoConfiguration.class,
			GrpcClientAutoConfiguration.class, CompositeChannelFactoryAutoConfiguration.class })
	static class Application {

	}

	/** Runs every listener on a thread of its own. */
	@Configuration(proxyBeanMethods = false)
	static class AsynchronousEventMulticaster {

		@Bean(AbstractApplicationContext.APPLICATION_EVENT_MULTICASTER_BEAN_NAME)
		static SimpleApplicationEventMulticaster applicationEventMulticaster() {
			SimpleApplicationEventMulticaster multicaster = new SimpleApplicationEventMulticaster();
			multicaster.setTaskExecutor(new SimpleAsyncTaskExecutor("test-events-"));
			return multicaster;
		}

	}

	/** Logs what a listener throws, and goes on. */
	@Configuration(proxyBeanMethods = false)
	static class LoggingEventMulticaster {

		@Bean(AbstractApplicationContext.APPLICATION_EVENT_MULTICASTER_BEAN_NAME)
		static SimpleApplicationEventMulticaster applicationEventMulticaster() {
			SimpleApplicationEventMulticaster multicaster = new SimpleApplicationEventMulticaster();
			multicaster.setErrorHandler(TaskUtils.LOG_AND_SUPPRESS_ERROR_HANDLER);
			return multicaster;
		}

	}

	/** A factory of its own that applies no customizer, with its lifecycle. */
	@Configuration(proxyBeanMethods = false)
	@Import(LifecycleOfTheFactory.class)
	static class OwnFactoryWithoutCustomizers {

		@Bean
		GrpcServerFactory ownServerFactory(@Value("${own.port}") int port) {
			return ownFactory(port, List.of());
		}

	}

	/** The lifecycle of the one GrpcServerFactory bean. */
	@Configuration(proxyBeanMethods = false)
	static class LifecycleOfTheFactory {

		@Bean
		GrpcServerLifecycle ownServerLifecycle(GrpcServerFactory factory, ApplicationEventPublisher publisher) {
			return new GrpcServerLifecycle(factory, Duration.ZERO, publisher);
		}

	}

	/** A factory of its own that gives the server every ServerBuilderCustomizer bean. */
	@Configuration(proxyBeanMethods = false)
	@Import(LifecycleOfTheFactory.class)
	static class OwnFactoryWithCustomizers {

		@Bean
		GrpcServerFactory ownServerFactory(@Value("${own.port}") int port,
				ObjectProvider<ServerBuilderCustomizer<NettyServerBuilder>> customizers) {
			return ownFactory(port, customizers.orderedStream().toList());
		}

	}

	/** A second server, from a factory of its own that applies no customizer. */
	@Configuration(proxyBeanMethods = false)
	static class OtherServerWithoutCustomizers {

		@Bean
		GrpcServerLifecycle otherServerLifecycle(@Value("${other.port}") int port,
				ApplicationEventPublisher publisher) {
			return new GrpcServerLifecycle(ownFactory(port, List.of()), Duration.ZERO, publisher);
		}

	}

}
