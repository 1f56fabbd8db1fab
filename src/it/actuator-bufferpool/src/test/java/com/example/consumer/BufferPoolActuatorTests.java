package com.example.consumer;

import java.time.Duration;
import java.util.Map;

import com.jayway.jsonpath.DocumentContext;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.Channel;
import io.netty.channel.epoll.Epoll;
import net.devh.boot.grpc.client.inject.GrpcClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.example.consumer.Http.getJson;
import static com.example.consumer.Http.measurement;
import static com.example.consumer.Http.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code /actuator/bufferpool}, {@code /actuator/metrics} and {@code /actuator/info} over
 * real HTTP, checked against the pool and the transport themselves.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class BufferPoolActuatorTests {

	private static final int GRPC_PORT = Http.freePort();

	@DynamicPropertySource
	static void grpcPort(DynamicPropertyRegistry registry) {
		registry.add("grpc.server.port", () -> GRPC_PORT);
		registry.add("grpc.client.first.address", () -> "static://127.0.0.1:" + GRPC_PORT);
	}

	@GrpcClient("first")
	Channel first;

	@Autowired
	TestRestTemplate http;

	@Autowired
	ReadyReadTransport transport;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@BeforeEach
	void oneRpc() {
		assertThat(Http.echo(this.first, "hello")).isEqualTo("hello");
	}

	@Test
	void bufferPoolShowsModeTransportAndReadPath() {
		DocumentContext json = getJson(this.http, "/actuator/bufferpool");
		assertThat(json.read("$.mode", String.class)).isEqualTo(this.transport.mode().displayName());
		assertThat(json.read("$.fallbackReason", String.class)).isEqualTo(this.transport.fallbackReason());
		assertThat(json.read("$.transport", String.class)).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
		assertThat(json.read("$.readPath", String.class)).isEqualTo("ready");
	}

	@Test
	void bufferPoolFiguresAreThePoolsOwn() {
		// Nothing touches the gRPC pool between the two reads: HTTP has its own buffers.
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			DocumentContext json = getJson(this.http, "/actuator/bufferpool");
			assertThat(number(json, "$.pool.reserved.direct")).isEqualTo(this.pool.reservedDirectBytes())
				.isGreaterThanOrEqualTo(1024 * 1024);
			assertThat(number(json, "$.pool.reserved.heap")).isEqualTo(this.pool.reservedHeapBytes());
			assertThat(number(json, "$.pool.pinned.direct")).isEqualTo(this.pool.pinnedDirectBytes());
			assertThat(number(json, "$.pool.pinned.heap")).isEqualTo(this.pool.pinnedHeapBytes());
		});
		DocumentContext json = getJson(this.http, "/actuator/bufferpool");
		assertThat(number(json, "$.pool.chunkSize")).isEqualTo(1024 * 1024).isEqualTo(this.pool.metric().chunkSize());
		assertThat(number(json, "$.pool.arenas.direct")).isEqualTo(this.pool.metric().numDirectArenas());
		assertThat(number(json, "$.pool.arenas.heap")).isEqualTo(this.pool.metric().numHeapArenas());
		assertThat(number(json, "$.pool.threadLocalCaches")).isEqualTo(this.pool.metric().numThreadLocalCaches())
			.isPositive();
		assertThat(number(json, "$.pool.settings.chunkSize")).isEqualTo(1024 * 1024);
		assertThat(number(json, "$.pool.settings.arenas")).isEqualTo(this.pool.settings().arenas());
		assertThat(json.read("$.pool.settings.threadCaches", Boolean.class)).isTrue();
		assertThat(json.read("$.pool.settings.cacheTrimInterval", String.class)).isEqualTo("PT10S");
		assertThat(json.read("$.pool.settings.preferDirect", Boolean.class)).isTrue();
	}

	@Test
	void readPathTotalsSumEveryChannelAndTheServer() {
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			DocumentContext json = getJson(this.http, "/actuator/bufferpool");
			assertThat(number(json, "$.readPathTotals.pinnedBytes")).isEqualTo(sum(ReadPathStats::pinnedBytes));
			assertThat(number(json, "$.readPathTotals.incompleteFrames"))
				.isEqualTo(sum(ReadPathStats::incompleteFrames));
			assertThat(number(json, "$.readPathTotals.incompleteBytes")).isEqualTo(sum(ReadPathStats::incompleteBytes));
			assertThat(number(json, "$.readPathTotals.readBuffersTaken"))
				.isEqualTo(sum(ReadPathStats::readBuffersTaken));
			assertThat(number(json, "$.readPathTotals.readBuffersDone"))
				.isEqualTo(sum(ReadPathStats::readBuffersDone));
		});
	}

	@Test
	void everyChannelAndTheServerIsListedWithItsLiveConnections() {
		DocumentContext json = getJson(this.http, "/actuator/bufferpool");
		Map<String, Object> first = json.read("$.channels.first");
		assertThat(first).containsOnlyKeys("name", "target", "security", "readPath", "liveConnections", "pinnedBytes",
				"incompleteFrames", "incompleteBytes", "readBuffersTaken", "readBuffersDone", "bytesRead");
		assertThat(first).containsEntry("name", "first")
			.containsEntry("target", "static://127.0.0.1:" + GRPC_PORT)
			.containsEntry("security", "plaintext")
			.containsEntry("readPath", "ready")
			.containsEntry("liveConnections", 1);
		assertThat(json.read("$.channels", Map.class)).doesNotContainKey("server");
		Map<String, Object> server = json.read("$.server");
		assertThat(server).containsEntry("name", "server").containsEntry("security", "plaintext");
		assertThat(((Number) server.get("liveConnections")).longValue())
			.isEqualTo(this.readPaths.server().stats().connections())
			.isPositive();
	}

	@Test
	void oneChannelByName() {
		DocumentContext json = getJson(this.http, "/actuator/bufferpool/first");
		assertThat(json.read("$.name", String.class)).isEqualTo("first");
		assertThat(number(json, "$.liveConnections")).isEqualTo(1);
		assertThat(number(json, "$.incompleteBytes")).isEqualTo(this.readPaths.channel("first").stats().incompleteBytes());
	}

	@Test
	void unknownChannelIsNotFound() {
		assertThat(this.http.getForEntity("/actuator/bufferpool/nope", String.class).getStatusCode())
			.isEqualTo(HttpStatus.NOT_FOUND);
	}

	@Test
	void nettyAllocatorMetricsAreThePoolsOwn() {
		String pool = "tag=id:" + this.pool.nettyAllocator().hashCode();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat((long) measurement(this.http, "netty.allocator.memory.pinned?" + pool + "&tag=memory.type:direct",
					"VALUE"))
				.isEqualTo(this.pool.pinnedDirectBytes());
			assertThat((long) measurement(this.http, "netty.allocator.memory.used?" + pool + "&tag=memory.type:direct",
					"VALUE"))
				.isEqualTo(this.pool.reservedDirectBytes());
		});
		assertThat((long) measurement(this.http, "netty.allocator.pooled.chunk.size?" + pool, "VALUE"))
			.isEqualTo(1024 * 1024);
		assertThat(getJson(this.http, "/actuator/metrics/netty.eventexecutor.tasks.pending")
			.read("$.availableTags[?(@.tag == 'name')].values[*]", java.util.List.class))
			.hasSize(1 + workers());
	}

	@Test
	void readPathMetersFollowTheChannel() {
		ReadPathStats stats = this.readPaths.channel("first").stats();
		// net.devh created the channel lazily; its meters appear within a second.
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(
					measurement(this.http, "grpc.ready-read.connections?tag=channel:first", "VALUE"))
				.isEqualTo(1));
		DocumentContext pinned = getJson(this.http, "/actuator/metrics/grpc.ready-read.read.pinned?tag=channel:first");
		assertThat(pinned.read("$.baseUnit", String.class)).isEqualTo("bytes");
		assertThat(pinned.read("$.availableTags[*].tag", java.util.List.class)).containsOnly("owner", "security", "mode");
		assertThat(pinned.read("$.availableTags[?(@.tag == 'mode')].values[0]", java.util.List.class))
			.containsExactly(this.transport.mode().displayName());
		assertThat((long) measurement(this.http, "grpc.ready-read.read.pinned?tag=channel:first", "VALUE"))
			.isEqualTo(stats.pinnedBytes());
		assertThat((long) measurement(this.http, "grpc.ready-read.read.incomplete.bytes?tag=channel:first", "VALUE"))
			.isEqualTo(stats.incompleteBytes());
		assertThat((long) measurement(this.http, "grpc.ready-read.read.incomplete.frames?tag=channel:first", "VALUE"))
			.isEqualTo(stats.incompleteFrames());
		assertThat((long) measurement(this.http, "grpc.ready-read.read.buffers.taken?tag=channel:first", "COUNT"))
			.isEqualTo(stats.readBuffersTaken());
		assertThat((long) measurement(this.http, "grpc.ready-read.read.buffers.done?tag=channel:first", "COUNT"))
			.isEqualTo(stats.readBuffersDone());
		assertThat(measurement(this.http, "grpc.ready-read.connections?tag=owner:server", "VALUE")).isPositive();
	}

	@Test
	void infoShowsTheMode() {
		DocumentContext json = getJson(this.http, "/actuator/info");
		assertThat(json.read("$.grpc['ready-read'].mode", String.class)).isEqualTo(this.transport.mode().displayName());
		assertThat(json.read("$.grpc['ready-read'].transport", String.class))
			.isEqualTo(this.transport.eventLoops().type().displayName());
		assertThat(json.read("$.grpc['ready-read'].readPath", String.class)).isEqualTo("ready");
	}

	private int workers() {
		int count = 0;
		for (Object executor : this.transport.eventLoops().workerGroup()) {
			count++;
		}
		return count;
	}

	private long sum(java.util.function.ToLongFunction<ReadPathStats> figure) {
		return this.readPaths.registrations()
			.stream()
			.map(ReadPathRegistry.Registration::stats)
			.mapToLong(figure)
			.sum();
	}

}
