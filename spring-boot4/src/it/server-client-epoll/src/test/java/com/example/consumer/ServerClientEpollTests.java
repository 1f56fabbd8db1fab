package com.example.consumer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.NettyGrpcServerFactory;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Spring Boot 4.1 app with Spring Boot's gRPC server and client starters, our starter
 * and grpc-netty-shaded, configured only in application.yml.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class ServerClientEpollTests {

	@Autowired
	GrpcChannelFactory channels;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@Autowired
	ApplicationContext context;

	@LocalServerPort
	int httpPort;

	@Test
	void startupLineSaysReadyReadOnEpoll(CapturedOutput output) {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		assertThat(output.getOut()).contains("gRPC ready-read: mode=ready-read, transport=epoll, read-path=ready");
	}

	@Test
	void shadedNettyIsOnTheClasspathYetNoFactoryIsShaded() {
		assertThat(ClassUtils.isPresent("io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder", null)).isTrue();
		assertThat(this.context.getBeansOfType(GrpcServerFactory.class).values())
			.anySatisfy((factory) -> assertThat(factory).isExactlyInstanceOf(NettyGrpcServerFactory.class))
			.noneSatisfy((factory) -> assertThat(factory.getClass().getName()).contains("Shaded"));
		assertThat(this.context.getBeansOfType(GrpcChannelFactory.class).values())
			.noneSatisfy((factory) -> assertThat(factory.getClass().getName()).contains("Shaded"));
	}

	@Test
	void liveChannelsAndServerAreUnshadedEpollOnTheSharedAllocator() {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		ManagedChannel backend = this.channels.createChannel("backend");
		assertThat(echo(backend, "hello")).isEqualTo("hello");
		List<io.netty.channel.Channel> clients = this.readPaths.channel("backend").stats().liveChannels();
		List<io.netty.channel.Channel> accepted = this.readPaths.server().stats().liveChannels();
		assertThat(clients).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(accepted).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			assertThat(channel.parent()).isInstanceOf(EpollServerSocketChannel.class);
			assertThat(channel.parent().config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(this.pool.settings().chunkSize()).isEqualTo(1024 * 1024);
	}

	@Test
	void bufferPoolEndpointOverRealHttp() throws Exception {
		assertThat(echo(this.channels.createChannel("backend"), "ping")).isEqualTo("ping");
		HttpResponse<String> whole = get("/actuator/bufferpool");
		assertThat(whole.statusCode()).isEqualTo(200);
		assertThat(whole.body()).contains("\"mode\":\"ready-read\"")
			.contains("\"readPath\":\"ready\"")
			.contains("\"backend\"")
			.contains("\"security\":\"plaintext\"");
		HttpResponse<String> channel = get("/actuator/bufferpool/backend");
		assertThat(channel.statusCode()).isEqualTo(200);
		assertThat(channel.body()).contains("\"name\":\"backend\"").contains("\"target\":\"static://127.0.0.1:19193\"");
		assertThat(get("/actuator/bufferpool/nosuch").statusCode()).isEqualTo(404);
		// The read-path meters of a server or channel appear when it does: at binding, then
		// by a check every second (ReadPathMetrics.REFRESH_INTERVAL).
		String meter = "/actuator/metrics/grpc.ready-read.read.buffers.taken";
		HttpResponse<String> metric = get(meter);
		for (long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos(); metric.statusCode() == 404
				&& System.nanoTime() < deadline;) {
			Thread.sleep(100);
			metric = get(meter);
		}
		assertThat(metric.statusCode()).isEqualTo(200);
	}

	private HttpResponse<String> get(String path) throws Exception {
		return HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.httpPort + path)).build(),
					HttpResponse.BodyHandlers.ofString());
	}

	private static String echo(ManagedChannel channel, String text) {
		return new String(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, text.getBytes()));
	}

}
