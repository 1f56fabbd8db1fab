package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelConfigurer;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.serverfactory.GrpcServerConfigurer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Security settings that contradict each other fail at startup, naming both, instead of
 * one silently winning.
 */
@SuppressWarnings("deprecation")
class ReadyReadSecurityConflictTests {

	private static SelfSignedCertificate certificate;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAltsAutoConfiguration.class, ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
		.withPropertyValues("grpc.ready-read.event-loop.threads=2",
				"grpc.ready-read.alts.embedded-handshaker.enabled=true")
		.withBean(EchoService.class);

	@BeforeAll
	static void makeCertificate() throws CertificateException {
		certificate = new SelfSignedCertificate("localhost");
	}

	@AfterAll
	static void deleteCertificate() {
		certificate.delete();
	}

	@Test
	void altsServerWithTlsFromAConfigurerFailsStartup() throws IOException {
		GrpcServerConfigurer userTls = (builder) -> ((NettyServerBuilder) builder)
			.useTransportSecurity(certificate.certificate(), certificate.privateKey());
		this.contextRunner.withBean("userTls", GrpcServerConfigurer.class, () -> userTls)
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + freePort(),
					"grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.server=true")
				.hasMessageContaining("sslContext/useTransportSecurity"));
	}

	@Test
	void altsChannelWithTlsNegotiationTypeFailsWhenCreated() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.client-channels=secure",
					"grpc.client.secure.address=static://127.0.0.1:1", "grpc.client.secure.negotiation-type=tls")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("secure"))
					.withMessageContaining("grpc.ready-read.alts.client-channels")
					.withMessageContaining("grpc.client.secure.negotiation-type=tls");
			});
	}

	@Test
	void plaintextChannelWithOnlyAnSslContextFailsInsteadOfIgnoringIt() {
		GrpcChannelConfigurer sslContextOnly = (builder, name) -> {
			try {
				((NettyChannelBuilder) builder)
					.sslContext(GrpcSslContexts.forClient().trustManager(certificate.cert()).build());
			}
			catch (SSLException ex) {
				throw new IllegalStateException(ex);
			}
		};
		this.contextRunner.withBean("sslContextOnly", GrpcChannelConfigurer.class, () -> sslContextOnly)
			.withPropertyValues("grpc.server.port=-1", "grpc.client.open.address=static://127.0.0.1:1",
					"grpc.client.open.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				assertThatIllegalStateException().isThrownBy(() -> factory.createChannel("open"))
					.withMessageContaining("gRPC channel 'open'")
					.withMessageContaining("useTransportSecurity()");
			});
	}

	@Test
	void serverOnADomainSocketStaysOnItsOwnEventLoopsAndServes(@TempDir Path dir) {
		assumeTrue(Epoll.isAvailable());
		Path socket = dir.resolve("grpc.sock");
		// The application's own event loops in place of net.devh's, which net.devh never
		// shuts down (their threads would outlive this test); ours must leave them.
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
		GrpcServerConfigurer ownLoops = (builder) -> ((NettyServerBuilder) builder).bossEventLoopGroup(group)
			.workerEventLoopGroup(group);
		try {
			this.contextRunner.withBean("ownLoops", GrpcServerConfigurer.class, () -> ownLoops)
				.withPropertyValues("grpc.server.address=unix:" + socket)
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(context.getBean(ReadPathRegistry.class).server()).isNull();
					ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
						.channelType(EpollDomainSocketChannel.class)
						.eventLoopGroup(group)
						.usePlaintext()
						.build();
					try {
						byte[] request = "over a domain socket".getBytes(StandardCharsets.UTF_8);
						assertThat(EchoService.call(channel, request)).isEqualTo(request);
					}
					finally {
						channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
					}
				});
		}
		finally {
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@Test
	void altsServerOnADomainSocketFailsStartup(@TempDir Path dir) {
		// Startup fails before net.devh's event loops start a thread.
		assumeTrue(Epoll.isAvailable());
		this.contextRunner
			.withPropertyValues("grpc.server.address=unix:" + dir.resolve("grpc.sock"),
					"grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.server=true")
				.hasMessageContaining("Unix domain socket"));
	}

	@Test
	void altsChannelToADomainSocketFailsStartup() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.client-channels=*",
					"grpc.client.local.address=unix:/run/app.sock")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("gRPC channel 'local'")
				.hasMessageContaining("unix:/run/app.sock"));
	}

	@Test
	void altsChannelToADomainSocketSetOnlyOnTheGlobalChannelFailsStartup() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.client-channels=*",
					"grpc.client.GLOBAL.address=unix:/run/app.sock", "grpc.client.local.negotiation-type=plaintext")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("gRPC channel 'local'")
				.hasMessageContaining("unix:/run/app.sock"));
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
