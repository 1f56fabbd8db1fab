package com.example.consumer;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.DocumentContext;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.ManagedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.ClassUtils;

import static com.example.consumer.Http.getJson;
import static com.example.consumer.Http.measurement;
import static com.example.consumer.Http.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Spring Boot 4.1 app without grpc-netty-shaded, on epoll as application.yml asks
 * ({@code transport: auto}), whose channel {@code stalled} waits in the middle of an
 * HTTP/2 DATA frame of a large message (a proxy stops forwarding the server's bytes): the
 * read path holds 0 B while it waits, the frame's bytes wait in the kernel
 * ({@code SO_RCVLOWAT}, with {@code read-sizing: exact}; the default, adaptive, holds them
 * at their exact size instead), and the message completes when the bytes come.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "grpc.ready-read.read-sizing=exact")
@ExtendWith(OutputCaptureExtension.class)
class StalledConnectionEpollTests {

	private static final int GRPC_PORT = Http.freePort();

	/** Two full 16 KiB DATA frames and part of a third, whatever the headers take. */
	private static final int STALL_AFTER = 40_000;

	private static final int MESSAGE = 200_000;

	private static StallingProxy proxy;

	@DynamicPropertySource
	static void grpcPort(DynamicPropertyRegistry registry) throws IOException {
		proxy = new StallingProxy(GRPC_PORT);
		registry.add("spring.grpc.server.port", () -> GRPC_PORT);
		registry.add("spring.grpc.client.channel.stalled.target", () -> "static://127.0.0.1:" + proxy.port());
	}

	@AfterAll
	static void closeProxy() throws IOException {
		proxy.close();
	}

	@Autowired
	GrpcChannelFactory channels;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@LocalServerPort
	int httpPort;

	/** One channel, one connection through the proxy, for every test. */
	private static ManagedChannel stalled;

	private ReadPathStats stats;

	@BeforeEach
	void connect() {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		if (stalled == null) {
			stalled = this.channels.createChannel("stalled");
		}
		assertThat(Http.echo(stalled, "warm")).isEqualTo("warm");
		this.stats = this.readPaths.channel("stalled").stats();
	}

	@AfterEach
	void resume() {
		proxy.resume();
	}

	@Test
	void withoutShadedNettyTheLiveChannelsAreEpollOnTheSharedAllocator(CapturedOutput output) {
		assertThat(ClassUtils.isPresent("io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder", null)).isFalse();
		assertThat(output.getOut()).contains("gRPC ready-read: mode=ready-read, transport=epoll, read-path=ready");
		assertThat(Http.echo(this.channels.createChannel("backend"), "hello")).isEqualTo("hello");
		assertThat(this.readPaths.channel("backend").stats().liveChannels()).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(this.readPaths.server().stats().liveChannels()).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			assertThat(channel.parent()).isInstanceOf(EpollServerSocketChannel.class);
		});
	}

	@Test
	void stalledConnectionHoldsNothingOnTheReadPathWhileTheFrameWaitsInTheKernel() throws Exception {
		assertThat(this.stats.liveChannels()).singleElement().isInstanceOf(EpollSocketChannel.class);
		// Everything the server sent so far has been read (the last frames may still be on
		// their way).
		await().atMost(Duration.ofSeconds(10)).until(() -> this.stats.bytesRead() == proxy.forwarded());
		long readBefore = this.stats.bytesRead();
		CompletableFuture<byte[]> call = stall();
		// The client has read every forwarded byte but those of the cut frame, which wait
		// in its socket's receive queue.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.stats.bytesRead() > readBefore && this.stats.readBuffersPinnedBytes() == 0);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(proxy.forwarded() - this.stats.bytesRead()).as("bytes left in the kernel")
				.isPositive()
				.isLessThan(16384 + 9);
			assertThat(this.stats.pinnedBytes()).isZero();
			assertThat(this.stats.incompleteBytes()).isZero();
			DocumentContext json = getJson(this.httpPort, "/actuator/bufferpool/stalled");
			assertThat(json.read("$.readPath", String.class)).isEqualTo("ready");
			assertThat(number(json, "$.liveConnections")).isEqualTo(1);
			assertThat(number(json, "$.pinnedBytes")).isZero();
			assertThat(number(json, "$.incompleteBytes")).isZero();
			assertThat(number(json, "$.incompleteFrames")).isZero();
			assertThat(number(json, "$.readBuffersDone")).isEqualTo(number(json, "$.readBuffersTaken"));
			assertThat(measurement(this.httpPort, "grpc.ready-read.read.incomplete.bytes?tag=channel:stalled"))
				.isZero();
		});
		assertThat(call).isNotDone();
		proxy.resume();
		assertThat(call.get(10, TimeUnit.SECONDS)).hasSize(MESSAGE);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat(this.stats.bytesRead()).isEqualTo(proxy.forwarded());
			assertThat(this.stats.pinnedBytes()).isZero();
		});
	}

	private CompletableFuture<byte[]> stall() {
		proxy.stallAfter(STALL_AFTER);
		CompletableFuture<byte[]> call = Fill.start(stalled, MESSAGE);
		await().atMost(Duration.ofSeconds(10)).until(proxy::isStalled);
		return call;
	}

}
