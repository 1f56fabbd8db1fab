package com.example.consumer;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.jayway.jsonpath.DocumentContext;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.Channel;
import net.devh.boot.grpc.client.inject.GrpcClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.example.consumer.Http.getJson;
import static com.example.consumer.Http.measurement;
import static com.example.consumer.Http.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A channel whose server stalls in the middle of an HTTP/2 DATA frame of a large message
 * (a proxy stops forwarding): what the connection holds while it waits shows over HTTP
 * exactly as the pool and the read path report it, and goes away when the message
 * completes.
 *
 * <p>
 * NIO is forced, so every byte forwarded is read (no {@code SO_RCVLOWAT}).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "grpc.ready-read.transport=nio")
class StalledStreamTests {

	private static final int GRPC_PORT = Http.freePort();

	/** Two full 16 KiB DATA frames and part of a third, whatever the headers take. */
	private static final int STALL_AFTER = 40_000;

	private static final int MESSAGE = 200_000;

	private static StallingProxy proxy;

	@DynamicPropertySource
	static void grpcPort(DynamicPropertyRegistry registry) throws IOException {
		proxy = new StallingProxy(GRPC_PORT);
		registry.add("grpc.server.port", () -> GRPC_PORT);
		registry.add("grpc.client.stalled.address", () -> "static://127.0.0.1:" + proxy.port());
		registry.add("grpc.client.stalled.negotiation-type", () -> "plaintext");
	}

	@AfterAll
	static void closeProxy() throws IOException {
		proxy.close();
	}

	@GrpcClient("stalled")
	Channel stalled;

	@Autowired
	TestRestTemplate http;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	private ReadPathStats stats;

	@BeforeEach
	void connect() {
		assertThat(Http.echo(this.stalled, "warm")).isEqualTo("warm");
		this.stats = this.readPaths.channel("stalled").stats();
	}

	@AfterEach
	void resume() {
		proxy.resume();
	}

	@Test
	void figuresWhileTheServerStallsAreThePoolsAndTheReadPathsOwn() throws Exception {
		long pinnedBefore = settledPinnedDirectBytes();
		CompletableFuture<byte[]> call = stall();
		// Whatever the read path, grpc-java keeps the complete frames of the unfinished
		// message.
		await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.pinnedDirectBytes() > pinnedBefore);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			DocumentContext json = getJson(this.http, "/actuator/bufferpool");
			assertThat(number(json, "$.pool.pinned.direct")).isEqualTo(this.pool.pinnedDirectBytes());
			assertThat(number(json, "$.channels.stalled.liveConnections")).isEqualTo(1);
			assertThat(number(json, "$.channels.stalled.incompleteBytes")).isEqualTo(this.stats.incompleteBytes());
			assertThat(number(json, "$.channels.stalled.incompleteFrames")).isEqualTo(this.stats.incompleteFrames());
			assertThat(number(json, "$.channels.stalled.pinnedBytes")).isEqualTo(this.stats.pinnedBytes());
			assertThat((long) measurement(this.http, "netty.allocator.memory.pinned?tag=id:"
					+ this.pool.nettyAllocator().hashCode() + "&tag=memory.type:direct", "VALUE"))
				.isEqualTo(this.pool.pinnedDirectBytes());
		});
		assertThat(call).isNotDone();
		proxy.resume();
		assertThat(call.get(10, TimeUnit.SECONDS)).hasSize(MESSAGE);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat(this.pool.pinnedDirectBytes()).isLessThanOrEqualTo(pinnedBefore);
			assertThat(number(getJson(this.http, "/actuator/bufferpool"), "$.pool.pinned.direct"))
				.isEqualTo(this.pool.pinnedDirectBytes());
		});
	}

	/**
	 * On the ready read path, the default: a fallback to the conventional one (whose
	 * counters stay at zero) fails here rather than skipping.
	 */
	@Test
	void stalledStreamOnTheReadyPathHoldsNothingOnTheReadPathWhileItWaits() throws Exception {
		assertThat(this.stats.readBuffersTaken())
			.as("read buffers taken by channel 'stalled' (none on the conventional read path)")
			.isPositive();
		long readBefore = this.stats.bytesRead();
		CompletableFuture<byte[]> call = stall();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			// Every byte forwarded was read, the head of the DATA frame cut short too: it
			// went on to gRPC (which keeps the message's bytes) as it came, so the read
			// path holds no incomplete frame and no read buffer while the connection
			// waits.
			assertThat(this.stats.bytesRead() - readBefore).isGreaterThanOrEqualTo(STALL_AFTER);
			DocumentContext json = getJson(this.http, "/actuator/bufferpool/stalled");
			assertThat(number(json, "$.bytesRead")).isEqualTo(this.stats.bytesRead());
			assertThat(number(json, "$.incompleteFrames")).isZero();
			assertThat(number(json, "$.incompleteBytes")).isZero();
			assertThat(this.stats.readBuffersPinnedBytes()).isZero();
			assertThat(number(json, "$.pinnedBytes")).isZero();
			assertThat(measurement(this.http, "grpc.ready-read.read.incomplete.bytes?tag=channel:stalled", "VALUE"))
				.isZero();
		});
		assertThat(call).isNotDone();
		proxy.resume();
		assertThat(call.get(10, TimeUnit.SECONDS)).hasSize(MESSAGE);
	}

	/**
	 * The pool's pinned bytes once two readings 200 ms apart agree: a reading taken while
	 * an earlier call's buffers are still being released would be a baseline too high to
	 * rise above.
	 */
	private long settledPinnedDirectBytes() {
		AtomicLong last = new AtomicLong(-1);
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(200))
			.until(() -> last.getAndSet(this.pool.pinnedDirectBytes()) == last.get());
		return last.get();
	}

	private CompletableFuture<byte[]> stall() {
		proxy.stallAfter(STALL_AFTER);
		CompletableFuture<byte[]> call = Fill.start(this.stalled, MESSAGE);
		await().atMost(Duration.ofSeconds(10)).until(proxy::isStalled);
		return call;
	}

}
