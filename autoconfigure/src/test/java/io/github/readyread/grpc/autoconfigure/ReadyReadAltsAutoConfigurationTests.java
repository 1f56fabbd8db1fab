package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;

import io.github.readyread.grpc.alts.AltsRecordDecoder;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link ReadyReadAltsAutoConfiguration}: ALTS selected per channel in
 * properties, through the embedded handshaker, on real sockets.
 */
class ReadyReadAltsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAltsAutoConfiguration.class, ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
		.withPropertyValues("grpc.ready-read.event-loop.threads=2")
		.withBean(EchoService.class);

	@Test
	void embeddedHandshakerIsOffByDefault() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(EmbeddedHandshaker.class);
			assertThat(context).hasSingleBean(ReadyReadAltsAutoConfiguration.AltsChannelSecurity.class);
		});
	}

	@Test
	void altsWithoutAHandshakerOffGcpFailsStartupSayingWhatToSet() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.handshaker-address")
				.hasMessageContaining("embedded-handshaker.enabled=true"));
	}

	@Test
	void embeddedHandshakerRefusesNonLoopbackUnlessAllowed() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.embedded-handshaker.port=0",
					"grpc.ready-read.alts.embedded-handshaker.address=0.0.0.0")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("binds only loopback"));
	}

	@Test
	void altsChannelTalksToAltsServerAndPlaintextChannelIsRefused() throws IOException {
		int port = freePort();
		this.contextRunner.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
				"grpc.ready-read.alts.embedded-handshaker.enabled=true", "grpc.ready-read.alts.server=true",
				"grpc.ready-read.alts.client-channels=secure", "grpc.client.secure.address=static://127.0.0.1:" + port,
				"grpc.client.secure.negotiation-type=plaintext", "grpc.client.open.address=static://127.0.0.1:" + port,
				"grpc.client.open.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(EmbeddedHandshaker.class).tcpAddress()).isNull();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				Channel secure = factory.createChannel("secure");
				assertThat(EchoService.call(secure, new byte[] { 9, 8, 7 })).containsExactly(9, 8, 7);

				ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
				assertThat(transport.channels().get("secure").security()).isEqualTo("alts");
				assertThat(transport.server().security()).isEqualTo("alts");
				assertThat(transport.statsFor("secure").liveChannels()).singleElement()
					.satisfies((channel) -> assertThat(channel.pipeline().get(AltsRecordDecoder.class)).isNotNull());
				assertThat(transport.serverStats().liveChannels()).singleElement()
					.satisfies((channel) -> assertThat(channel.pipeline().get(AltsRecordDecoder.class)).isNotNull());

				Channel open = factory.createChannel("open");
				assertThatExceptionOfType(StatusRuntimeException.class)
					.isThrownBy(() -> EchoService.call(open, new byte[] { 1 }));
			});
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
