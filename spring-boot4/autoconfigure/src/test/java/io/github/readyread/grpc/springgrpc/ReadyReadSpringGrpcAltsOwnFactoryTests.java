package io.github.readyread.grpc.springgrpc;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.RecordingServer;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
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

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
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
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.grpc.client.ChannelBuilderOptions;
import org.springframework.grpc.client.ClientInterceptorsConfigurer;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.client.InProcessGrpcChannelFactory;
import org.springframework.grpc.client.NettyGrpcChannelFactory;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.NettyGrpcServerFactory;
import org.springframework.grpc.server.ServerBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.scheduling.support.TaskUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
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

	/**
	 * A Netty server factory's server is checked as the factory creates it: it never
	 * listens, not even for the moment between its start and the check on its started
	 * event.
	 */
	@Test
	void altsServerFromAnOwnFactoryWithoutTheCustomizersFailsStartupAndIsNeverStarted() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		RecordingServerFactory factory = new RecordingServerFactory(port);
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> factory)
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.withPropertyValues("grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.isInstanceOf(IllegalStateException.class)
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("for 127.0.0.1:" + port)
					.hasMessageContaining(RecordingServerFactory.class.getName() + " created")
					.hasMessageContaining("a GrpcServerFactory bean of the application's own")
					.hasMessageContaining("ServerBuilderCustomizer")
					.hasMessageContaining("has not been started");
				assertThat(factory.servers).hasSize(1);
				assertThat(factory.servers.get(0).started()).isFalse();
				assertThat(factory.servers.get(0).isShutdown()).isTrue();
				assertClosed(port);
			});
	}

	/**
	 * A server factory of another kind than Spring gRPC's Netty ones is checked as its
	 * server starts, and the server is shut down.
	 */
	@Test
	void altsServerFromAnOwnFactoryOfAnotherKindFailsStartupAndIsShutDown() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		GrpcServerFactory factory = new GrpcServerFactory() {

			@Override
			public Server createServer() {
				return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
					.addService(new EchoService())
					.build();
			}

			@Override
			public void addService(ServerServiceDefinition service) {
			}

		};
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> factory)
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.withPropertyValues("grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("127.0.0.1:" + port)
					.hasMessageContaining("was not built through the ready-read transport, so it runs without ALTS")
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
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("has not been started");
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
			.withMessageContaining("has not been started");
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
				.hasMessageContaining("was not built through the ready-read transport")
				// Its factory is no bean, so it is checked as it starts.
				.hasMessageContaining("has been shut down"));
	}

	@Test
	void plaintextServerFromAnOwnFactoryWithoutTheCustomizersStartsWhenAltsIsNotAsked() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withBean("ownServerFactory", GrpcServerFactory.class, () -> ownFactory(port, List.of()))
			.withUserConfiguration(LifecycleOfTheFactory.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// Nothing to check: the factory is left unwrapped.
				assertThat(AopUtils.isAopProxy(context.getBean(GrpcServerFactory.class))).isFalse();
			});
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
					.hasMessageContaining("Unix domain socket")
					.hasMessageContaining("has not been started"));
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@Test
	void altsChannelFromAnOwnChannelFactoryWithoutTheCustomizersFailsAndIsNotHandedOut() {
		this.runner.withUserConfiguration(OwnChannelFactoryWithoutCustomizers.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				RecordingChannelFactory factory = context.getBean(RecordingChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("backend"))
					.withMessageContaining("grpc.ready-read.alts.client-channels covers the gRPC channel 'backend'")
					.withMessageContaining(RecordingChannelFactory.class.getName() + " created without the ready-read"
							+ " transport, so it would run without ALTS")
					.withMessageContaining("GrpcChannelBuilderCustomizer")
					.withMessageContaining("The channel is not handed out");
				// Not handed out, and left to its factory: nothing this call reported
				// says
				// that it built the channel rather than took it from a cache.
				assertThat(factory.channels()).hasSize(1);
				assertThat(factory.channels().get(0).isShutdown()).isFalse();
				// A channel the property does not cover is left alone.
				assertThat(factory.createChannel("127.0.0.1:1").isShutdown()).isFalse();
			});
	}

	/**
	 * In-process channels are left alone: those of an in-process factory, one whose name
	 * is an in-process target, and one whose builder the customizers saw to be
	 * in-process. A network channel is not, whatever its target property says.
	 */
	@Test
	void inProcessChannelsAreLeftAlone() {
		this.runner.withPropertyValues("grpc.ready-read.alts.client-channels=*").run((context) -> {
			assertThat(context).hasNotFailed();
			GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
			assertThat(AopUtils.isAopProxy(factory)).isTrue();
			assertThat(factory.createChannel("in-process:altsOwnFactoryTests").isShutdown()).isFalse();
		});
		this.runner
			.withUserConfiguration(OwnChannelFactoryWithoutCustomizers.class, OwnInProcessChannelFactory.class,
					InProcessChannelFactoryWithCustomizers.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=*",
					"spring.grpc.client.channel.local.target=in-process:altsOwnFactoryTests")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				InProcessGrpcChannelFactory inProcess = context.getBean("ownInProcessChannelFactory",
						InProcessGrpcChannelFactory.class);
				assertThat(AopUtils.isAopProxy(inProcess)).isFalse();
				assertThat(inProcess.createChannel("in-process:altsOwnFactoryTests").isShutdown()).isFalse();
				GrpcChannelFactory seen = context.getBean("inProcessChannelFactoryWithCustomizers",
						GrpcChannelFactory.class);
				assertThat(AopUtils.isAopProxy(seen)).isTrue();
				assertThat(seen.createChannel("local").isShutdown()).isFalse();
				RecordingChannelFactory factory = context.getBean(RecordingChannelFactory.class);
				// A network channel to the host "local": its property does not make it
				// in-process.
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("local"))
					.withMessageContaining("gRPC channel 'local'");
			});
	}

	/**
	 * A factory that hands out a channel again (a cache) passes it again, and one that
	 * creates it under another name passes when that creation ran ALTS.
	 */
	@Test
	void cachingAndRenamingChannelFactoriesThatApplyTheCustomizersPass() {
		this.runner.withUserConfiguration(CachingAndRenamingChannelFactories.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=*",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1",
					"spring.grpc.client.channel.backend-eu.target=static://127.0.0.1:2")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory caching = context.getBean("cachingChannelFactory", GrpcChannelFactory.class);
				ManagedChannel first = caching.createChannel("backend");
				assertThat(caching.createChannel("backend")).isSameAs(first);
				assertThat(first.isShutdown()).isFalse();
				GrpcChannelFactory renaming = context.getBean("renamingChannelFactory", GrpcChannelFactory.class);
				assertThat(renaming.createChannel("backend").isShutdown()).isFalse();
				assertThat(context.getBean(ReadPathRegistry.class).channel("backend-eu").security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	/**
	 * A channel that a cache hands out while the creation that built it has not returned
	 * yet waits for that creation's check instead of failing (and shutting down the
	 * shared channel).
	 */
	@Test
	void aCachedChannelHandedOutDuringItsOwnCreationPassesOnceThatCreationIsChecked() {
		this.runner.withUserConfiguration(BlockingCachingChannelFactory.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean("blockingCachingChannelFactory", GrpcChannelFactory.class);
				BlockingCache cache = context.getBean(BlockingCache.class);
				CompletableFuture<ManagedChannel> first = CompletableFuture
					.supplyAsync(() -> factory.createChannel("backend"), (task) -> new Thread(task, "first").start());
				cache.built.await();
				AtomicReference<Thread> secondThread = new AtomicReference<>();
				CompletableFuture<ManagedChannel> second = CompletableFuture
					.supplyAsync(() -> factory.createChannel("backend"), (task) -> {
						Thread thread = new Thread(task, "second");
						secondThread.set(thread);
						thread.start();
					});
				// Until the second creation waits (or, were it not to wait, has ended).
				while (secondThread.get() == null || (secondThread.get().getState() != Thread.State.WAITING
						&& secondThread.get().getState() != Thread.State.TERMINATED)) {
					Thread.onSpinWait();
				}
				cache.release.countDown();
				assertThat(second.join()).isSameAs(first.join());
				assertThat(first.join().isShutdown()).isFalse();
			});
	}

	/**
	 * A covered channel that the application's factory builds in plaintext is not let
	 * through by an ALTS channel that another factory created for it on the way.
	 */
	@Test
	void anAltsChannelCreatedInsideTheCreationOfAPlaintextOneDoesNotVouchForIt() {
		this.runner.withUserConfiguration(FactoryThatUsesAnother.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=orders,sts",
					"spring.grpc.client.channel.orders.target=static://127.0.0.1:1",
					"spring.grpc.client.channel.sts.target=static://127.0.0.1:2")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean("factoryThatUsesAnother", GrpcChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("orders"))
					.withMessageContaining("gRPC channel 'orders'")
					.withMessageContaining("created without the ready-read transport");
				assertThat(context.getBean(ReadPathRegistry.class).channel("sts").security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	/**
	 * A channel that a factory built before it was wrapped (a cache filled in its
	 * constructor) cannot be checked: handing it out fails, and the channel, which may be
	 * in use, is not shut down.
	 */
	@Test
	void aChannelBuiltBeforeItsFactoryWasWrappedFailsAndIsNotShutDown() {
		this.runner.withUserConfiguration(PrefilledChannelFactory.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean("prefilledChannelFactory", GrpcChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("backend"))
					.withMessageContaining("gRPC channel 'backend'");
				assertThat(context.getBean(PrefilledChannels.class).channel().isShutdown()).isFalse();
			});
	}

	/**
	 * A channel factory bean that another post-processor made before this one could wrap
	 * it fails startup: nothing would see its channels.
	 */
	@Test
	void channelFactoryCreatedBeforeThePostProcessorsFailsStartupWhenAltsCoversChannels() {
		this.runner.withUserConfiguration(OwnChannelFactoryWithoutCustomizers.class, EarlyPostProcessor.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("GrpcChannelFactory bean 'ownChannelFactory' ("
						+ RecordingChannelFactory.class.getName() + ") was created without the check"));
	}

	@Test
	void altsChannelFromAnOwnChannelFactoryThatAppliesTheCustomizersRunsAlts() throws IOException {
		int port = ReadyReadSpringGrpcAutoConfigurationTests.freePort();
		this.runner.withUserConfiguration(OwnChannelFactoryWithCustomizers.class)
			.withBean(EchoService.class)
			.withPropertyValues("spring.grpc.server.port=" + port, "spring.grpc.server.address=127.0.0.1",
					"grpc.ready-read.alts.server=true", "grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:" + port,
					"own.backend=127.0.0.1:" + port)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				RecordingChannelFactory factory = context.getBean(RecordingChannelFactory.class);
				byte[] reply = EchoService.call(factory.createChannel("backend"),
						"ping".getBytes(StandardCharsets.UTF_8));
				assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("ping");
				assertThat(factory.channels()).hasSize(1);
				assertThat(context.getBean(ReadPathRegistry.class).channel("backend").security())
					.isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	/**
	 * A channel of the same name that the transport configured earlier does not let one
	 * built without it pass.
	 */
	@Test
	void altsChannelFromAnOwnChannelFactoryFailsAfterAChannelOfTheSameNameFromOneWithTheCustomizers() {
		this.runner.withUserConfiguration(OwnChannelFactoryWithCustomizers.class, OtherChannelFactory.class)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1", "own.backend=127.0.0.1:1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ManagedChannel alts = context.getBean("ownChannelFactory", RecordingChannelFactory.class)
					.createChannel("backend");
				assertThat(context.getBean(ReadPathRegistry.class).channel("backend").security())
					.isEqualTo(ConnectionSecurity.ALTS);
				RecordingChannelFactory other = context.getBean("otherChannelFactory", RecordingChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> other.createChannel("backend"))
					.withMessageContaining("created without the ready-read transport");
				assertThat(alts.isShutdown()).isFalse();
			});
	}

	/**
	 * A final factory class cannot be subclassed: it gets an interface-based proxy, which
	 * checks its channels all the same.
	 */
	@Test
	void channelsOfAFinalChannelFactoryAreChecked() {
		this.runner.withBean("finalChannelFactory", GrpcChannelFactory.class, FinalChannelFactory::new)
			.withPropertyValues("grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean("finalChannelFactory", GrpcChannelFactory.class);
				assertThat(AopUtils.isJdkDynamicProxy(factory)).isTrue();
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("backend"))
					.withMessageContaining("which " + FinalChannelFactory.class.getName()
							+ " created without the ready-read transport");
			});
	}

	@Test
	void channelFactoriesAreLeftAsTheyAreWhenAltsCoversNoChannel() {
		this.runner.withBean("finalChannelFactory", GrpcChannelFactory.class, FinalChannelFactory::new)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean("finalChannelFactory")).isInstanceOf(FinalChannelFactory.class);
			});
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

	/** A Netty server factory that applies no customizer and keeps what it creates. */
	static class RecordingServerFactory extends NettyGrpcServerFactory {

		final List<RecordingServer> servers = new CopyOnWriteArrayList<>();

		RecordingServerFactory(int port) {
			super("127.0.0.1:" + port, List.of(), null, null, null);
			addService(new EchoService().bindService());
		}

		@Override
		public Server createServer() {
			RecordingServer server = new RecordingServer(super.createServer());
			this.servers.add(server);
			return server;
		}

	}

	/** A Netty channel factory that keeps the channels it creates. */
	static class RecordingChannelFactory extends NettyGrpcChannelFactory {

		private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

		RecordingChannelFactory(List<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors) {
			super(customizers, interceptors);
		}

		@Override
		public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
			ManagedChannel channel = super.createChannel(target, options);
			this.channels.add(channel);
			return channel;
		}

		/** Not a field read: the bean is a proxy, whose fields are its own. */
		List<ManagedChannel> channels() {
			return this.channels;
		}

	}

	/** A channel factory of its own that applies no customizer. */
	@Configuration(proxyBeanMethods = false)
	static class OwnChannelFactoryWithoutCustomizers {

		@Bean
		RecordingChannelFactory ownChannelFactory(ClientInterceptorsConfigurer interceptors) {
			return new RecordingChannelFactory(List.of(), interceptors);
		}

	}

	/**
	 * A caching and a renaming channel factory, each over one that applies the
	 * customizers.
	 */
	@Configuration(proxyBeanMethods = false)
	static class CachingAndRenamingChannelFactories {

		@Bean
		GrpcChannelFactory cachingChannelFactory(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors) {
			RecordingChannelFactory delegate = new RecordingChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
			return new DelegatingChannelFactory(
					(target) -> channels.computeIfAbsent(target, (name) -> delegate.createChannel(name)));
		}

		@Bean
		GrpcChannelFactory renamingChannelFactory(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors) {
			RecordingChannelFactory delegate = new RecordingChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			return new DelegatingChannelFactory((target) -> delegate.createChannel(target + "-eu"));
		}

	}

	/**
	 * A channel factory over an in-process one that applies the customizers, which is no
	 * bean (so not left alone for its class).
	 */
	@Configuration(proxyBeanMethods = false)
	static class InProcessChannelFactoryWithCustomizers {

		@Bean
		GrpcChannelFactory inProcessChannelFactoryWithCustomizers(
				ObjectProvider<GrpcChannelBuilderCustomizer<InProcessChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors, Environment environment) {
			InProcessGrpcChannelFactory delegate = new InProcessGrpcChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			delegate.setVirtualTargets(
					(name) -> environment.getProperty("spring.grpc.client.channel." + name + ".target", name));
			return new DelegatingChannelFactory(delegate::createChannel);
		}

	}

	/**
	 * A caching channel factory, over one that applies the customizers, whose creation of
	 * a channel waits, once it has put the channel in its cache, until released.
	 */
	@Configuration(proxyBeanMethods = false)
	static class BlockingCachingChannelFactory {

		@Bean
		BlockingCache blockingCache() {
			return new BlockingCache();
		}

		@Bean
		GrpcChannelFactory blockingCachingChannelFactory(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors, BlockingCache cache) {
			RecordingChannelFactory delegate = new RecordingChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
			return new DelegatingChannelFactory((target) -> {
				boolean[] built = new boolean[1];
				ManagedChannel channel = channels.computeIfAbsent(target, (name) -> {
					built[0] = true;
					return delegate.createChannel(name);
				});
				if (built[0]) {
					cache.built.countDown();
					try {
						cache.release.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				return channel;
			});
		}

	}

	/** Latches of the blocking cache. */
	static final class BlockingCache {

		final CountDownLatch built = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

	}

	/**
	 * A channel factory that applies no customizer, and that creates another channel
	 * through Spring Boot's factory on the way.
	 */
	@Configuration(proxyBeanMethods = false)
	static class FactoryThatUsesAnother {

		@Bean
		RecordingChannelFactory stsChannelFactory(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors) {
			return new RecordingChannelFactory(customizers.orderedStream().toList(), interceptors);
		}

		@Bean
		GrpcChannelFactory factoryThatUsesAnother(ObjectProvider<RecordingChannelFactory> sts) {
			return new DelegatingChannelFactory((target) -> {
				sts.getObject().createChannel("sts");
				return NettyChannelBuilder.forTarget("127.0.0.1:1").usePlaintext().build();
			});
		}

	}

	/** The channel a factory built, through the customizers, before it was wrapped. */
	record PrefilledChannels(ManagedChannel channel) {
	}

	/** A channel factory that hands out a channel it built before it was wrapped. */
	@Configuration(proxyBeanMethods = false)
	static class PrefilledChannelFactory {

		@Bean
		PrefilledChannels prefilledChannels(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors, Environment environment) {
			RecordingChannelFactory delegate = new RecordingChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			return new PrefilledChannels(delegate.createChannel("backend"));
		}

		@Bean
		GrpcChannelFactory prefilledChannelFactory(PrefilledChannels channels) {
			return new DelegatingChannelFactory((target) -> channels.channel());
		}

	}

	/** A channel factory that creates its channels through a function. */
	static class DelegatingChannelFactory implements GrpcChannelFactory {

		private final Function<String, ManagedChannel> channels;

		DelegatingChannelFactory(Function<String, ManagedChannel> channels) {
			this.channels = channels;
		}

		@Override
		public boolean supports(String target) {
			return true;
		}

		@Override
		public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
			return this.channels.apply(target);
		}

	}

	/** A post-processor that needs a channel factory before the others are registered. */
	@Configuration(proxyBeanMethods = false)
	static class EarlyPostProcessor {

		@Bean
		static OrderedPostProcessor earlyPostProcessor(GrpcChannelFactory factory) {
			return new OrderedPostProcessor();
		}

	}

	static final class OrderedPostProcessor implements BeanPostProcessor, Ordered {

		@Override
		public int getOrder() {
			return 0;
		}

	}

	/** A second channel factory of its own that applies no customizer. */
	@Configuration(proxyBeanMethods = false)
	static class OtherChannelFactory {

		@Bean
		RecordingChannelFactory otherChannelFactory(ClientInterceptorsConfigurer interceptors,
				Environment environment) {
			RecordingChannelFactory factory = new RecordingChannelFactory(List.of(), interceptors);
			factory.setVirtualTargets((name) -> environment.getProperty("own." + name, name));
			return factory;
		}

	}

	/** An in-process channel factory of its own that applies no customizer. */
	@Configuration(proxyBeanMethods = false)
	static class OwnInProcessChannelFactory {

		@Bean
		InProcessGrpcChannelFactory ownInProcessChannelFactory(ClientInterceptorsConfigurer interceptors) {
			return new InProcessGrpcChannelFactory(List.of(), interceptors);
		}

	}

	/**
	 * A channel factory of its own that applies every GrpcChannelBuilderCustomizer bean.
	 */
	@Configuration(proxyBeanMethods = false)
	static class OwnChannelFactoryWithCustomizers {

		@Bean
		RecordingChannelFactory ownChannelFactory(
				ObjectProvider<GrpcChannelBuilderCustomizer<NettyChannelBuilder>> customizers,
				ClientInterceptorsConfigurer interceptors, Environment environment) {
			RecordingChannelFactory factory = new RecordingChannelFactory(customizers.orderedStream().toList(),
					interceptors);
			factory.setVirtualTargets((name) -> environment.getProperty("own." + name, name));
			return factory;
		}

	}

	/** A channel factory that cannot be subclassed, and applies no customizer. */
	static final class FinalChannelFactory implements GrpcChannelFactory {

		@Override
		public boolean supports(String target) {
			return true;
		}

		@Override
		public ManagedChannel createChannel(String target, ChannelBuilderOptions options) {
			return NettyChannelBuilder.forTarget("127.0.0.1:1").usePlaintext().build();
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
