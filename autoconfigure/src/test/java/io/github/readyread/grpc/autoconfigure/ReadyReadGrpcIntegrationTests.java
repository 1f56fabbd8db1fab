package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real sockets on 127.0.0.1 through net.devh's channel and server factories: every live
 * channel runs on the selected transport and takes its buffers from the one pool.
 */
class ReadyReadGrpcIntegrationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
		.withBean(EchoService.class);

	@Test
	void epollChannelsAndServerShareOneAllocator() throws IOException {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable here");
		run("auto", EpollSocketChannel.class, EpollServerSocketChannel.class);
	}

	@Test
	void forcedNioChannelsAndServerShareOneAllocator() throws IOException {
		run("nio", NioSocketChannel.class, NioServerSocketChannel.class);
	}

	private void run(String transport, Class<?> socketType, Class<?> serverType) throws IOException {
		int port = freePort();
		this.contextRunner
			.withPropertyValues("grpc.ready-read.transport=" + transport, "grpc.server.port=" + port,
					"grpc.server.address=127.0.0.1", "grpc.client.a.address=static://127.0.0.1:" + port,
					"grpc.client.a.negotiation-type=plaintext", "grpc.client.b.address=static://127.0.0.1:" + port,
					"grpc.client.b.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				Channel a = factory.createChannel("a");
				Channel b = factory.createChannel("b");
				assertThat(EchoService.call(a, new byte[] { 1, 2, 3 })).containsExactly(1, 2, 3);
				assertThat(EchoService.call(b, new byte[] { 4 })).containsExactly(4);

				ReadPathRegistry readyRead = context.getBean(ReadPathRegistry.class);
				Object pool = context.getBean(PooledBufferAllocator.class).allocator();
				List<io.netty.channel.Channel> live = new ArrayList<>();
				live.addAll(readyRead.channel("a").stats().liveChannels());
				live.addAll(readyRead.channel("b").stats().liveChannels());
				List<io.netty.channel.Channel> accepted = readyRead.server().stats().liveChannels();
				assertThat(live).hasSize(2);
				assertThat(accepted).hasSize(2);
				live.addAll(accepted);
				for (io.netty.channel.Channel channel : live) {
					assertThat(channel).isInstanceOf(socketType);
					assertThat(channel.config().getAllocator()).isSameAs(pool);
				}
				io.netty.channel.Channel listen = accepted.get(0).parent();
				assertThat(listen).isInstanceOf(serverType);
				assertThat(listen.config().getAllocator()).isSameAs(pool);
				assertThat(readyRead.channels()).containsOnlyKeys("a", "b");
				assertThat(readyRead.server()).isNotNull();
			});
		// An event loop's termination future completes just before its thread exits.
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(nettyThreads()).isEmpty());
	}

	private static Set<String> nettyThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith("grpc-ready-read") || name.contains("EventLoop")
					|| name.startsWith("grpc-nio") || name.startsWith("grpc-default-worker")
					|| name.startsWith("epollEventLoop") || name.startsWith("nioEventLoop"))
			.collect(Collectors.toSet());
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
