package io.github.readyread.grpc.springgrpc;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.alts.AltsChannelSecurity;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.ReadyReadMode;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.grpc.client.autoconfigure.CompositeChannelFactoryAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.client.NettyGrpcChannelFactory;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.NettyGrpcServerFactory;
import org.springframework.grpc.server.ServerBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ready-read transport on Spring Boot 4.1's own gRPC support, with
 * {@code grpc-netty-shaded} on the test classpath as Google Cloud libraries put it there.
 */
class ReadyReadSpringGrpcAutoConfigurationTests {

	/** Without a server address, which excludes a domain socket. */
	private final ApplicationContextRunner anyAddress = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class,
				ReadyReadAltsOffAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, SslAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				CompositeChannelFactoryAutoConfiguration.class))
		.withBean(EchoService.class);

	private final ApplicationContextRunner runner = this.anyAddress.withPropertyValues("spring.grpc.server.port=0",
			"spring.grpc.server.address=127.0.0.1");

	@Test
	void serverAndChannelRunTheReadyReadPathOnEpollThoughShadedNettyIsPresent() {
		assumeTrue(Epoll.isAvailable());
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(GrpcServerFactory.class)).isExactlyInstanceOf(NettyGrpcServerFactory.class);
			assertThat(context.getBeansOfType(GrpcChannelFactory.class).values())
				.anySatisfy((factory) -> assertThat(factory).isExactlyInstanceOf(NettyGrpcChannelFactory.class))
				.noneSatisfy((factory) -> assertThat(factory.getClass().getSimpleName()).startsWith("Shaded"));
			echo(context, "static://127.0.0.1:" + port(context));
			ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
			ReadPathRegistry registry = context.getBean(ReadPathRegistry.class);
			assertThat(transport.mode()).isEqualTo(ReadyReadMode.READY_READ);
			assertThat(transport.eventLoops().type().displayName()).isEqualTo("epoll");
			assertThat(registry.server().security()).isEqualTo(ConnectionSecurity.PLAINTEXT);
			assertThat(registry.server().readPath()).isEqualTo(ReadPath.READY);
			assertThat(registry.channels()).containsKey("static://127.0.0.1:" + port(context));
			assertThat(registry.server().stats().readBuffersTaken()).isPositive();
		});
	}

	@Test
	void dataFramesAreSlicedFromFilledReadsByDefault() {
		this.runner.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().dataFrames())
			.isEqualTo(DataFrames.SLICE_FILLED_READS));
	}

	@Test
	void dataFramesAreConfiguredFromProperties() {
		this.runner.withPropertyValues("grpc.ready-read.data-frames=copy")
			.run((context) -> assertThat(context.getBean(ReadyReadTransport.class).settings().dataFrames())
				.isEqualTo(DataFrames.COPY));
	}

	@Test
	void namedChannelIsKnownByItsSpringGrpcName() {
		this.runner.withPropertyValues("spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> {
				context.getBean(GrpcChannelFactory.class).createChannel("backend");
				Registration backend = context.getBean(ReadPathRegistry.class).channel("backend");
				assertThat(backend).isNotNull();
				assertThat(backend.target()).isEqualTo("static://127.0.0.1:1");
				assertThat(backend.security()).isEqualTo(ConnectionSecurity.PLAINTEXT);
			});
	}

	@Test
	void killSwitchLeavesSpringBootsChoiceAsItIs() {
		this.runner.withPropertyValues("grpc.ready-read.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(ReadyReadTransport.class);
			assertThat(context.getBean(GrpcServerFactory.class).getClass().getSimpleName())
				.isEqualTo("ShadedNettyGrpcServerFactory");
		});
	}

	@ParameterizedTest
	@CsvSource({ "false, false", "0, false", "off, false", "true, true", "yes, true", "1, true" })
	void killSwitchReadsOnAndOffAsThePropertiesBindThem(String value, boolean on) {
		this.runner.withPropertyValues("grpc.ready-read.enabled=" + value).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBeansOfType(ReadyReadTransport.class)).hasSize(on ? 1 : 0);
		});
	}

	@Test
	void altsAskedWithTheTransportSwitchedOffFailsAtStartup() {
		this.runner
			.withPropertyValues("grpc.ready-read.enabled=false", "grpc.ready-read.alts.client-channels=backend",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> assertThat(context).getFailure()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("grpc.ready-read.alts.client-channels")
				.hasMessageContaining("grpc.ready-read.enabled=false"));
	}

	@Test
	void anApplicationsOwnChannelSecurityTakesThePlaceOfOurs() {
		this.runner.withBean("mySecurity", ChannelSecurity.class, () -> ChannelSecurity.NONE).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).getBean(ChannelSecurity.class).isSameAs(context.getBean("mySecurity"));
			assertThat(context.getBean(ReadPathRegistry.class).server().security())
				.isEqualTo(ConnectionSecurity.PLAINTEXT);
		});
	}

	@Test
	void anApplicationsOwnChannelSecurityFailsStartupWhereAltsIsAskedFor() {
		this.runner.withBean("mySecurity", ChannelSecurity.class, () -> ChannelSecurity.NONE)
			.withPropertyValues("grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).getFailure()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("grpc.ready-read.alts.server=true")
				.hasMessageContaining("the application's own ChannelSecurity bean"));
	}

	@Test
	void aShutdownTimeoutUnderTheQuietPeriodFailsStartupNamingIt() {
		this.runner.withPropertyValues("grpc.ready-read.event-loop.shutdown-quiet-period=10s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("grpc.ready-read.event-loop.shutdown-timeout"));
	}

	@Test
	void tlsFromAnSslBundleIsKeptAndReportedAsTls(@TempDir Path dir) throws Exception {
		SelfSignedCertificate certificate = new SelfSignedCertificate("localhost");
		try {
			Path cert = Files.copy(certificate.certificate().toPath(), dir.resolve("server.crt"));
			Path key = Files.copy(certificate.privateKey().toPath(), dir.resolve("server.key"));
			this.runner
				.withPropertyValues("spring.ssl.bundle.pem.server.keystore.certificate=file:" + cert,
						"spring.ssl.bundle.pem.server.keystore.private-key=file:" + key,
						"spring.grpc.server.ssl.bundle=server")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					Registration server = context.getBean(ReadPathRegistry.class).server();
					assertThat(server.security()).isEqualTo(ConnectionSecurity.TLS);
					assertThat(server.readPath()).isEqualTo(ReadPath.CONVENTIONAL);
				});
		}
		finally {
			certificate.delete();
		}
	}

	@Test
	void altsOnATlsServerFailsAtStartupNamingBoth(@TempDir Path dir) throws Exception {
		SelfSignedCertificate certificate = new SelfSignedCertificate("localhost");
		try {
			Path cert = Files.copy(certificate.certificate().toPath(), dir.resolve("server.crt"));
			Path key = Files.copy(certificate.privateKey().toPath(), dir.resolve("server.key"));
			this.runner
				.withPropertyValues("spring.ssl.bundle.pem.server.keystore.certificate=file:" + cert,
						"spring.ssl.bundle.pem.server.keystore.private-key=file:" + key,
						"spring.grpc.server.ssl.bundle=server", "grpc.ready-read.alts.server=true",
						"grpc.ready-read.alts.embedded-handshaker.enabled=true")
				.run((context) -> assertThat(context).getFailure()
					.rootCause()
					.hasMessageContaining("grpc.ready-read.alts.server=true")
					.hasMessageContaining("spring.grpc.server.ssl.bundle"));
		}
		finally {
			certificate.delete();
		}
	}

	@Test
	void altsPairThroughTheEmbeddedHandshaker() throws IOException {
		int port = freePort();
		this.runner.withPropertyValues("spring.grpc.server.port=" + port, "grpc.ready-read.alts.server=true",
				"grpc.ready-read.alts.client-channels=backend", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
				"spring.grpc.client.channel.backend.target=static://127.0.0.1:" + port)
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(AltsChannelSecurity.class);
				echo(context, "backend");
				ReadPathRegistry registry = context.getBean(ReadPathRegistry.class);
				assertThat(registry.server().security()).isEqualTo(ConnectionSecurity.ALTS);
				assertThat(registry.channel("backend").security()).isEqualTo(ConnectionSecurity.ALTS);
			});
	}

	@Test
	void altsChannelNameThatIsNotASpringGrpcChannelFailsAtStartup() {
		this.runner
			.withPropertyValues("grpc.ready-read.alts.client-channels=backnd",
					"grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.client-channels names 'backnd'")
				.hasMessageContaining("[backend]")
				.hasMessageContaining("spring.grpc.client.channel.backnd.target"));
	}

	@Test
	void serverOnADomainSocketStaysOnItsOwnEventLoops(@TempDir Path dir) {
		assumeTrue(Epoll.isAvailable());
		// The application's own event loops in place of Spring gRPC's, which grpc-java
		// never shuts down (their threads would outlive this test); ours must leave them.
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
		ServerBuilderCustomizer<NettyServerBuilder> ownLoops = (builder) -> builder.bossEventLoopGroup(group)
			.workerEventLoopGroup(group);
		try {
			this.anyAddress.withBean("ownLoops", ServerBuilderCustomizer.class, () -> ownLoops)
				.withPropertyValues("spring.grpc.server.netty.domain-socket-path=" + dir.resolve("grpc.sock"))
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(dir.resolve("grpc.sock")).exists();
					assertThat(context.getBean(ReadPathRegistry.class).server()).isNull();
				});
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@Test
	void altsOnADomainSocketServerFailsAtStartup(@TempDir Path dir) {
		assumeTrue(Epoll.isAvailable());
		this.anyAddress
			.withPropertyValues("spring.grpc.server.netty.domain-socket-path=" + dir.resolve("grpc.sock"),
					"grpc.ready-read.alts.server=true", "grpc.ready-read.alts.embedded-handshaker.enabled=true")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.server=true")
				.hasMessageContaining("Unix domain socket"));
	}

	@Test
	void altsChannelToADomainSocketFailsAtStartup() {
		this.runner
			.withPropertyValues("grpc.ready-read.alts.client-channels=*",
					"grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"spring.grpc.client.channel.backend.target=static://127.0.0.1:1",
					"spring.grpc.client.channel.local.target=unix:/run/app.sock")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("gRPC channel 'local'")
				.hasMessageContaining("unix:/run/app.sock"));
	}

	@Test
	void aChannelNamedByAPlaceholderIsRegisteredWithTheTargetSpringBootResolves() {
		this.runner.withPropertyValues("backend.address=static://127.0.0.1:1").run((context) -> {
			context.getBean(GrpcChannelFactory.class).createChannel("${backend.address}");
			assertThat(context.getBean(ReadPathRegistry.class).channel("${backend.address}").target())
				.isEqualTo("static://127.0.0.1:1");
		});
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	static int port(AssertableApplicationContext context) {
		return context.getBean(GrpcServerLifecycle.class).getPort();
	}

	static void echo(AssertableApplicationContext context, String target) {
		ManagedChannel channel = context.getBean(GrpcChannelFactory.class).createChannel(target);
		byte[] reply = EchoService.call(channel, "ping".getBytes(StandardCharsets.UTF_8));
		assertThat(new String(reply, StandardCharsets.UTF_8)).isEqualTo("ping");
	}

}
