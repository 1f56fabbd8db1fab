package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
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

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Security a user sets up in code, through net.devh's configurers rather than its
 * properties, is kept and reported as it runs: never replaced by plaintext.
 */
@SuppressWarnings("deprecation")
class ReadyReadUserSecurityTests {

	private static SelfSignedCertificate certificate;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
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
	void serverSecuredByAConfigurerServesOnlyTls() throws IOException {
		int port = freePort();
		this.contextRunner.withBean("userTls", GrpcServerConfigurer.class, ReadyReadUserSecurityTests::serverTls)
			.withPropertyValues("grpc.server.port=" + port, "grpc.server.address=127.0.0.1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
				ManagedChannel tls = NettyChannelBuilder.forAddress("127.0.0.1", port)
					.sslContext(clientTls())
					.overrideAuthority("localhost")
					.build();
				try {
					assertThatExceptionOfType(StatusRuntimeException.class)
						.isThrownBy(() -> EchoService.call(plaintext, new byte[] { 1 }));
					assertThat(EchoService.call(tls, new byte[] { 1, 2 })).containsExactly(1, 2);
				}
				finally {
					plaintext.shutdownNow();
					tls.shutdownNow();
				}
				ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
				BufferPoolEndpoint.ChannelDescriptor server = new BufferPoolEndpoint(transport,
						context.getBean(ReadPathRegistry.class))
					.bufferPool()
					.server();
				assertThat(server.security()).isEqualTo("tls");
				assertThat(server.readPath()).isEqualTo("conventional");
			});
	}

	@Test
	void plaintextChannelSecuredByAConfigurerConnectsOverTls() throws IOException {
		int port = freePort();
		GrpcChannelConfigurer userTls = (builder, name) -> {
			if ("secure".equals(name)) {
				((NettyChannelBuilder) builder).useTransportSecurity()
					.sslContext(clientTls())
					.overrideAuthority("localhost");
			}
		};
		this.contextRunner.withBean("userTls", GrpcServerConfigurer.class, ReadyReadUserSecurityTests::serverTls)
			.withBean("userChannelTls", GrpcChannelConfigurer.class, () -> userTls)
			.withPropertyValues("grpc.server.port=" + port, "grpc.server.address=127.0.0.1",
					"grpc.client.secure.address=static://127.0.0.1:" + port,
					"grpc.client.secure.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				assertThat(EchoService.call(factory.createChannel("secure"), new byte[] { 3 })).containsExactly(3);
				ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
				BufferPoolEndpoint.ChannelDescriptor secure = new BufferPoolEndpoint(transport,
						context.getBean(ReadPathRegistry.class))
					.bufferPool()
					.channels()
					.get("secure");
				assertThat(secure.security()).isEqualTo("tls");
				assertThat(secure.readPath()).isEqualTo("conventional");
			});
	}

	private static GrpcServerConfigurer serverTls() {
		return (builder) -> ((NettyServerBuilder) builder).useTransportSecurity(certificate.certificate(),
				certificate.privateKey());
	}

	private static SslContext clientTls() {
		try {
			return GrpcSslContexts.forClient().trustManager(certificate.cert()).build();
		}
		catch (SSLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
