package com.example.consumer;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.DocumentContext;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.ManagedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.example.consumer.Http.getJson;
import static com.example.consumer.Http.measurement;
import static com.example.consumer.Http.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The same stall with NIO forced, where no low-water mark keeps the bytes in the kernel:
 * every byte forwarded is read, the head of the DATA frame cut short goes on to gRPC as
 * it came, and the read path holds no incomplete frame and no read buffer while the
 * connection waits (as the Spring Boot 3.5 consumer project {@code actuator-bufferpool}
 * checks on net.devh).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "grpc.ready-read.transport=nio")
class StalledConnectionNioTests {

	private static final int GRPC_PORT = Http.freePort();

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

	@LocalServerPort
	int httpPort;

	private ManagedChannel stalled;

	private ReadPathStats stats;

	@BeforeEach
	void connect() {
		this.stalled = this.channels.createChannel("stalled");
		assertThat(Http.echo(this.stalled, "warm")).isEqualTo("warm");
		this.stats = this.readPaths.channel("stalled").stats();
	}

	@AfterEach
	void resume() {
		proxy.resume();
	}

	@Test
	void stalledConnectionHoldsNothingOnTheReadPathWhileItWaits() throws Exception {
		assertThat(this.stats.liveChannels()).singleElement().isInstanceOf(NioSocketChannel.class);
		proxy.stallAfter(STALL_AFTER);
		CompletableFuture<byte[]> call = Fill.start(this.stalled, MESSAGE);
		await().atMost(Duration.ofSeconds(10)).until(proxy::isStalled);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(this.stats.bytesRead()).isEqualTo(proxy.forwarded());
			DocumentContext json = getJson(this.httpPort, "/actuator/bufferpool/stalled");
			assertThat(number(json, "$.bytesRead")).isEqualTo(this.stats.bytesRead());
			assertThat(number(json, "$.incompleteFrames")).isZero();
			assertThat(number(json, "$.incompleteBytes")).isZero();
			assertThat(this.stats.readBuffersPinnedBytes()).isZero();
			assertThat(number(json, "$.pinnedBytes")).isZero();
			assertThat(measurement(this.httpPort, "grpc.ready-read.read.incomplete.bytes?tag=channel:stalled"))
				.isZero();
		});
		assertThat(call).isNotDone();
		proxy.resume();
		assertThat(call.get(10, TimeUnit.SECONDS)).hasSize(MESSAGE);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			DocumentContext json = getJson(this.httpPort, "/actuator/bufferpool/stalled");
			assertThat(number(json, "$.incompleteFrames")).isZero();
			assertThat(number(json, "$.incompleteBytes")).isZero();
			assertThat(number(json, "$.pinnedBytes")).isZero();
		});
	}

}
