package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.readyread.grpc.RecordingServer;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelConfigurer;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessOrAlternativeChannelFactory;
import net.devh.boot.grpc.client.channelfactory.NettyChannelFactory;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import net.devh.boot.grpc.client.interceptor.GlobalClientInterceptorRegistry;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.config.GrpcServerProperties;
import net.devh.boot.grpc.server.serverfactory.GrpcServerConfigurer;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import net.devh.boot.grpc.server.serverfactory.GrpcServerLifecycle;
import net.devh.boot.grpc.server.serverfactory.NettyGrpcServerFactory;
import net.devh.boot.grpc.server.service.GrpcServiceDefinition;
import net.devh.boot.grpc.server.service.GrpcServiceDiscoverer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.SimpleApplicationEventMulticaster;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.scheduling.support.TaskUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * ALTS asked for a server or channel that a factory of the application's own builds:
 * startup fails unless the factory applies the starter's configurers, since ALTS is
 * applied only through them.
 */
@ExtendWith(OutputCaptureExtension.class)
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

	/**
	 * A Netty server factory's server is checked as the factory creates it: it never
	 * listens, not even for the moment between its start and the check on its started
	 * event.
	 */
	@Test
	void altsServerFromAnOwnFactoryWithoutTheConfigurersFailsStartupAndIsNeverStarted() throws IOException {
		int port = freePort();
		GrpcServerProperties properties = new GrpcServerProperties();
		properties.setAddress("127.0.0.1");
		properties.setPort(port);
		RecordingServerFactory factory = new RecordingServerFactory(properties);
		this.contextRunner.withBean("ownServerFactory", NettyGrpcServerFactory.class, () -> factory)
			.withUserConfiguration(LifecycleOfTheNettyFactory.class)
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
					.hasMessageContaining("GrpcServerConfigurer")
					.hasMessageContaining("has not been started");
				assertThat(factory.servers).hasSize(1);
				assertThat(factory.servers.get(0).started()).isFalse();
				assertThat(factory.servers.get(0).isShutdown()).isTrue();
				assertClosed(port);
			});
	}

	/**
	 * A server factory of another kind than net.devh's Netty ones is checked as its
	 * server starts, and the server is shut down.
	 */
	@Test
	void altsServerFromAnOwnFactoryOfAnotherKindFailsStartupAndIsShutDown() throws IOException {
		int port = freePort();
		GrpcServerFactory factory = new GrpcServerFactory() {

			@Override
			public Server createServer() {
				return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
					.addService(new EchoService())
					.build();
			}

			@Override
			public String getAddress() {
				return "127.0.0.1";
			}

			@Override
			public int getPort() {
				return port;
			}

			@Override
			public void addService(GrpcServiceDefinition service) {
			}

		};
		this.contextRunner.withBean("ownServerFactory", GrpcServerFactory.class, () -> factory)
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
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("has not been started");
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
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// Nothing to check: the factory is left unwrapped.
				assertThat(AopUtils.isAopProxy(context.getBean(NettyGrpcServerFactory.class))).isFalse();
			});
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

	/**
	 * Contexts that share a parent's ReadPathRegistry share its server registration: the
	 * own factory's server of one child must not be accepted against the registration of
	 * the other child's server, which its own check never saw.
	 */
	@Test
	void altsServerFromAnOwnFactoryBesideASiblingContextsServerFailsStartup() throws IOException {
		int port = freePort();
		int other = freePort();
		try (GenericApplicationContext parent = new GenericApplicationContext()) {
			parent.registerBean(ReadPathRegistry.class);
			parent.refresh();
			this.contextRunner.withParent(parent)
				.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
						"grpc.ready-read.alts.server=true")
				.run((sibling) -> {
					assertThat(sibling).hasNotFailed();
					assertThat(parent.getBean(ReadPathRegistry.class).server().security())
						.isEqualTo(ConnectionSecurity.ALTS);
					this.contextRunner.withParent(parent)
						.withUserConfiguration(OwnServerFactoryWithoutConfigurers.class)
						.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + other,
								"grpc.ready-read.alts.server=true")
						.run((context) -> {
							assertThat(context).hasFailed()
								.getFailure()
								.rootCause()
								.hasMessageContaining("127.0.0.1:" + other)
								.hasMessageContaining("was not built through the ready-read transport");
							assertClosed(other);
						});
				});
		}
	}

	/**
	 * A child context's event reaches the parent's listeners: the parent's check sees the
	 * child's server after the child's own check accepted it, and accepts it again.
	 */
	@Test
	void altsServerOfAChildContextIsAcceptedByTheParentsCheckToo() throws IOException {
		int port = freePort();
		ReadyReadProperties.Alts alts = new ReadyReadProperties().getAlts();
		alts.setServer(true);
		try (GenericApplicationContext parent = new GenericApplicationContext()) {
			ReadPathRegistry registry = new ReadPathRegistry();
			parent.registerBean(ReadPathRegistry.class, () -> registry);
			parent.registerBean(ReadyReadAltsAutoConfiguration.AltsServerCheck.class,
					() -> new ReadyReadAltsAutoConfiguration.AltsServerCheck(new AltsAppliedCheck(registry, alts)));
			parent.refresh();
			this.contextRunner.withParent(parent)
				.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
						"grpc.ready-read.alts.server=true")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(registry.server().security()).isEqualTo(ConnectionSecurity.ALTS);
				});
		}
	}

	@Test
	void altsChannelFromAnOwnFactoryWithoutTheConfigurersFailsStartupOnceReady() throws IOException {
		int port = freePort();
		SpringApplicationBuilder application = withNetworkChannels(
				application(OwnChannelFactoryWithoutConfigurers.class, port, "grpc.ready-read.alts.server=true",
						"grpc.ready-read.alts.client-channels=secure"),
				port);
		assertThatIllegalStateException().isThrownBy(application::run)
			.withMessageContaining("grpc.ready-read.alts.client-channels")
			.withMessageContaining("[secure]")
			.withMessageNotContaining("open")
			.withMessageContaining("a GrpcChannelFactory bean of the application's own")
			.withMessageContaining("GrpcChannelConfigurer");
		// The context was closed: its ALTS server with it.
		assertClosed(port);
	}

	/**
	 * Whatever the application's event multicaster does with what a listener throws (runs
	 * it on another thread, or logs it), SpringApplication's run fails.
	 */
	@ParameterizedTest
	@ValueSource(classes = { AsynchronousEventMulticaster.class, LoggingEventMulticaster.class })
	void altsServerFromAnOwnFactoryWithoutTheConfigurersFailsStartupWhateverTheEventMulticaster(Class<?> multicaster)
			throws IOException {
		int port = freePort();
		SpringApplicationBuilder application = application(OwnServerFactoryWithoutConfigurers.class, port,
				"grpc.ready-read.alts.server=true")
			.sources(multicaster);
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(application::run)
			.havingRootCause()
			.isInstanceOf(IllegalStateException.class)
			.withMessageContaining("grpc.ready-read.alts.server=true")
			.withMessageContaining("127.0.0.1:" + port)
			.withMessageContaining("has not been started");
		assertClosed(port);
	}

	@Test
	void altsChannelFromAnOwnFactoryWithoutTheConfigurersFailsStartupWithAnAsynchronousEventMulticaster()
			throws IOException {
		int port = freePort();
		SpringApplicationBuilder application = withNetworkChannels(
				application(OwnChannelFactoryWithoutConfigurers.class, port, "grpc.ready-read.alts.server=true",
						"grpc.ready-read.alts.client-channels=secure"),
				port)
			.sources(AsynchronousEventMulticaster.class);
		assertThatIllegalStateException().isThrownBy(application::run)
			.withMessageContaining("grpc.ready-read.alts.client-channels")
			.withMessageContaining("[secure]");
		assertClosed(port);
	}

	/** A channel created during the refresh fails startup before the runners run. */
	@Test
	void altsChannelFromAnOwnFactoryCreatedDuringTheRefreshFailsStartupBeforeTheRunners() throws IOException {
		int port = freePort();
		ChannelDuringTheRefresh.runnerRan.set(false);
		SpringApplicationBuilder application = withNetworkChannels(application(
				OwnChannelFactoryWithoutConfigurers.class, port, "grpc.ready-read.alts.client-channels=secure"), port)
			.sources(ChannelDuringTheRefresh.class);
		assertThatIllegalStateException().isThrownBy(application::run).withMessageContaining("[secure]");
		assertThat(ChannelDuringTheRefresh.runnerRan).isFalse();
	}

	@Test
	void altsChannelFromAnOwnFactoryThatAppliesTheConfigurersRunsAlts() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = withNetworkChannels(
				application(OwnChannelFactoryWithConfigurers.class, port, "grpc.ready-read.alts.server=true",
						"grpc.ready-read.alts.client-channels=secure"),
				port)
			.run()) {
			ReadPathRegistry registry = context.getBean(ReadPathRegistry.class);
			assertThat(registry.channel("secure").security()).isEqualTo(ConnectionSecurity.ALTS);
			assertThat(registry.channel("open").security()).isEqualTo(ConnectionSecurity.PLAINTEXT);
			Channel secure = context.getBean(GrpcChannelFactory.class).createChannel("secure");
			assertThat(EchoService.call(secure, new byte[] { 7 })).containsExactly(7);
		}
	}

	/**
	 * Not covered: a factory that keeps GrpcChannelFactory's default
	 * getConnectivityState() lists no channel, so its plaintext channel goes unseen; it
	 * is named in a warning.
	 */
	@Test
	void anOwnFactoryThatDoesNotListItsChannelsIsNamedInAWarning(CapturedOutput output) throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = withNetworkChannels(application(
				OwnChannelFactoryThatListsNothing.class, port, "grpc.ready-read.alts.client-channels=secure"), port)
			.run()) {
			assertThat(context.getBean(ReadPathRegistry.class).channels()).isEmpty();
			assertThat(output).contains("GrpcChannelFactory bean 'ownChannelFactory' ("
					+ OwnChannelFactoryThatListsNothing.Factory.class.getName() + ") does not list the channels");
		}
	}

	/**
	 * net.devh lists an in-process channel under its in-process server's name: as a
	 * channel's address, or as the GLOBAL one.
	 */
	@ParameterizedTest
	@ValueSource(
			strings = { "grpc.client.secure.address=in-process:nowhere,grpc.client.open.address=in-process:nowhere",
					"grpc.client.GLOBAL.address=in-process:nowhere" })
	void inProcessChannelsFromAnOwnFactoryWithoutTheConfigurersAreLeftAlone(String addresses) throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = application(OwnChannelFactoryWithoutConfigurers.class, port,
				addresses.split(","))
			.properties("grpc.ready-read.alts.client-channels=*")
			.run()) {
			assertThat(context.getBean(GrpcChannelFactory.class).getConnectivityState()).containsOnlyKeys("nowhere");
			assertThat(context.getBean(ReadPathRegistry.class).channels()).isEmpty();
		}
	}

	/**
	 * net.devh lists an in-process channel under its in-process server's name, and
	 * creating it gives that name properties with the GLOBAL channel's defaults: a
	 * network GLOBAL address must not make the in-process channel look like a network
	 * one, also with the starter's own channel factory.
	 */
	/**
	 * An InProcessChannelFactory of the application's own (as a test might define) makes
	 * every channel in-process, whatever address the properties give it.
	 */
	@Test
	void channelsOfAnOwnInProcessChannelFactoryAreLeftAloneWhateverTheirAddress() throws IOException {
		int port = freePort();
		SpringApplicationBuilder application = withNetworkChannels(
				application(OwnInProcessChannelFactory.class, port, "grpc.ready-read.alts.client-channels=secure"),
				port);
		try (ConfigurableApplicationContext context = application.run()) {
			assertThat(context.getBean(GrpcChannelFactory.class).getConnectivityState()).containsKey("secure");
		}
	}

	@Test
	void anInProcessChannelBesideANetworkGlobalAddressStartsWithTheStartersFactory() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = application(StartersChannelFactory.class, port,
				"grpc.ready-read.alts.client-channels=*", "grpc.client.GLOBAL.address=static://127.0.0.1:" + port,
				"grpc.client.GLOBAL.negotiation-type=plaintext", "grpc.client.local.address=in-process:nowhere",
				"test.runner-channels=local")
			.run()) {
			assertThat(context.getBean(GrpcChannelFactory.class).getConnectivityState()).containsOnlyKeys("nowhere");
		}
	}

	/**
	 * net.devh's InProcessOrAlternativeChannelFactory cannot list its channels when an
	 * in-process server's name is also that of a network channel (a duplicate key): the
	 * factory is named in a warning and left unchecked.
	 */
	@Test
	void aFactoryThatFailsToListItsChannelsIsNamedInAWarning(CapturedOutput output) throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = application(StartersChannelFactory.class, port,
				"grpc.ready-read.alts.client-channels=*", "grpc.client.GLOBAL.address=static://127.0.0.1:" + port,
				"grpc.client.GLOBAL.negotiation-type=plaintext", "grpc.client.local.address=in-process:twice",
				"test.runner-channels=local,twice")
			.run()) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> context.getBean(GrpcChannelFactory.class).getConnectivityState());
			assertThat(output).contains("GrpcChannelFactory bean 'readyReadGrpcChannelFactory' ("
					+ InProcessOrAlternativeChannelFactory.class.getName() + ") could not list the channels");
		}
	}

	/**
	 * A SpringApplication, which publishes ApplicationReadyEvent, with its server at
	 * {@code port}; a runner creates the channels {@code secure} and {@code open}.
	 */
	private static SpringApplicationBuilder application(Class<?> channelFactory, int port, String... properties) {
		return new SpringApplicationBuilder(Application.class, channelFactory).web(WebApplicationType.NONE)
			.properties("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
					"grpc.ready-read.event-loop.threads=2", "grpc.ready-read.alts.embedded-handshaker.enabled=true")
			.properties(properties);
	}

	/**
	 * The channel {@code secure} to the application's server at {@code port}, and the
	 * channel {@code open} elsewhere, both plaintext as net.devh builds them.
	 */
	private static SpringApplicationBuilder withNetworkChannels(SpringApplicationBuilder application, int port) {
		return application.properties("grpc.client.secure.address=static://127.0.0.1:" + port,
				"grpc.client.secure.negotiation-type=plaintext", "grpc.client.open.address=static://127.0.0.1:1",
				"grpc.client.open.negotiation-type=plaintext");
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
	@ImportAutoConfiguration({ ReadyReadAltsAutoConfiguration.class, ReadyReadAltsOffAutoConfiguration.class,
			ReadyReadAutoConfiguration.class, ReadyReadGrpcClientAutoConfiguration.class,
			ReadyReadGrpcServerAutoConfiguration.class, GrpcCommonCodecAutoConfiguration.class,
			GrpcClientAutoConfiguration.class, GrpcServerAutoConfiguration.class,
			GrpcServerFactoryAutoConfiguration.class })
	static class Application {

		@Bean
		EchoService echoService() {
			return new EchoService();
		}

		@Bean
		ApplicationRunner createsTheChannels(GrpcChannelFactory factory,
				@Value("${test.runner-channels:secure,open}") List<String> names) {
			return (arguments) -> names.forEach(factory::createChannel);
		}

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

	/** Creates the channel {@code secure} as a bean, and records whether a runner ran. */
	@Configuration(proxyBeanMethods = false)
	static class ChannelDuringTheRefresh {

		static final AtomicBoolean runnerRan = new AtomicBoolean();

		@Bean
		Channel secureChannel(GrpcChannelFactory factory) {
			return factory.createChannel("secure");
		}

		@Bean
		ApplicationRunner recordsThatItRan() {
			return (arguments) -> runnerRan.set(true);
		}

	}

	/** No channel factory of its own: the starter's, which applies the configurers. */
	@Configuration(proxyBeanMethods = false)
	static class StartersChannelFactory {

	}

	/** A Netty server factory that applies no configurer and keeps what it creates. */
	static class RecordingServerFactory extends NettyGrpcServerFactory {

		final List<RecordingServer> servers = new CopyOnWriteArrayList<>();

		RecordingServerFactory(GrpcServerProperties properties) {
			super(properties, List.of());
		}

		@Override
		public Server createServer() {
			RecordingServer server = new RecordingServer(super.createServer());
			this.servers.add(server);
			return server;
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

	/** The lifecycle of the one NettyGrpcServerFactory bean. */
	@Configuration(proxyBeanMethods = false)
	static class LifecycleOfTheNettyFactory {

		@Bean
		GrpcServerLifecycle ownServerLifecycle(NettyGrpcServerFactory factory, ApplicationEventPublisher publisher) {
			return new GrpcServerLifecycle(factory, Duration.ZERO, publisher);
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

	@Configuration(proxyBeanMethods = false)
	static class OwnChannelFactoryWithoutConfigurers {

		@Bean
		GrpcChannelFactory ownChannelFactory(GrpcChannelsProperties properties,
				GlobalClientInterceptorRegistry interceptors) {
			return new InProcessOrAlternativeChannelFactory(properties,
					new InProcessChannelFactory(properties, interceptors, List.of()),
					new NettyChannelFactory(properties, interceptors, List.of()));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnInProcessChannelFactory {

		@Bean
		GrpcChannelFactory ownChannelFactory(GrpcChannelsProperties properties,
				GlobalClientInterceptorRegistry interceptors) {
			return new InProcessChannelFactory(properties, interceptors, List.of());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnChannelFactoryWithConfigurers {

		@Bean
		GrpcChannelFactory ownChannelFactory(GrpcChannelsProperties properties,
				GlobalClientInterceptorRegistry interceptors, List<GrpcChannelConfigurer> configurers) {
			return new NettyChannelFactory(properties, interceptors, configurers);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnChannelFactoryThatListsNothing {

		@Bean
		GrpcChannelFactory ownChannelFactory(GrpcChannelsProperties properties,
				GlobalClientInterceptorRegistry interceptors) {
			return new Factory(new NettyChannelFactory(properties, interceptors, List.of()));
		}

		/** Implements the interface anew, keeping its getConnectivityState(). */
		static final class Factory implements GrpcChannelFactory {

			private final GrpcChannelFactory delegate;

			Factory(GrpcChannelFactory delegate) {
				this.delegate = delegate;
			}

			@Override
			public Channel createChannel(String name, List<ClientInterceptor> interceptors, boolean sortInterceptors) {
				return this.delegate.createChannel(name, interceptors, sortInterceptors);
			}

			@Override
			public void close() {
				this.delegate.close();
			}

		}

	}

}
