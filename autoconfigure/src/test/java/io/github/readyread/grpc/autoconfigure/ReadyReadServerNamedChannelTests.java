package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.actuate.BufferPoolEndpoint.BufferPoolDescriptor;
import io.github.readyread.grpc.actuate.BufferPoolEndpoint.ChannelDescriptor;
import io.github.readyread.grpc.micrometer.ReadPathMetrics;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client channel named {@code server} and the gRPC server are counted apart: in the
 * endpoint and in the meters.
 */
class ReadyReadServerNamedChannelTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
		.withBean(EchoService.class);

	@Test
	void channelNamedServerAndTheServerHaveTheirOwnFigures() throws IOException {
		int port = freePort();
		this.contextRunner
			.withPropertyValues("grpc.server.port=" + port, "grpc.server.address=127.0.0.1",
					"grpc.client.server.address=static://127.0.0.1:" + port,
					"grpc.client.server.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				assertThat(EchoService.call(factory.createChannel("server"), new byte[] { 7 })).containsExactly(7);
				ReadyReadTransport transport = context.getBean(ReadyReadTransport.class);
				ReadPathRegistry readPaths = context.getBean(ReadPathRegistry.class);
				readPaths.channel("server").stats().incompleteBytesAdded(300, 512);
				BufferPoolEndpoint endpoint = new BufferPoolEndpoint(transport, readPaths);
				ChannelDescriptor channel = endpoint.channel("server");
				assertThat(channel.target()).isEqualTo("static://127.0.0.1:" + port);
				assertThat(channel.liveConnections()).isEqualTo(1);
				assertThat(channel.incompleteBytes()).isEqualTo(300);
				BufferPoolDescriptor whole = endpoint.bufferPool();
				assertThat(whole.channels()).containsOnlyKeys("server");
				// Same channel; its read figures may move between the two snapshots (a
				// late
				// control frame being read), so only what identifies it is compared.
				assertThat(whole.channels().get("server")).usingRecursiveComparison()
					.comparingOnlyFields("name", "target", "security", "readPath", "liveConnections", "incompleteBytes")
					.isEqualTo(channel);
				ChannelDescriptor server = whole.server();
				assertThat(server.target()).isEmpty();
				assertThat(server.liveConnections()).isEqualTo(1);
				assertThat(server.incompleteBytes()).isZero();
				assertThat(server.bytesRead()).isPositive().isNotEqualTo(channel.bytesRead());

				MeterRegistry registry = new SimpleMeterRegistry();
				try (ReadPathMetrics metrics = new ReadPathMetrics(transport, readPaths)) {
					metrics.bindTo(registry);
					assertThat(registry.get(ReadPathMetrics.INCOMPLETE_BYTES)
						.tags("owner", "channel", "channel", "server")
						.gauge()
						.value()).isEqualTo(300);
					assertThat(registry.get(ReadPathMetrics.INCOMPLETE_BYTES).tags("owner", "server").gauge().value())
						.isZero();
					assertThat(registry.find(ReadPathMetrics.CONNECTIONS).gauges()).hasSize(2);
				}
			});
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
