package com.example.boot4;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.alts.AltsPeer;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ALTS both ways between this Spring Boot 4.1 app and a Spring Boot 3.5 (net.devh) app in
 * a separate JVM ({@code alts-interop-boot3-app}'s jar), both with our starters and
 * configured in their application.yml, on 127.0.0.1 only. Both handshake through this
 * app's embedded handshaker: in process here, over its loopback port there
 * ({@code grpc.ready-read.alts.handshaker-address}). The other process is killed after
 * the tests, exits with this JVM, and after 5 minutes at the latest.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class AltsInteropTests {

	private static final String ACCOUNT = "interop@example.iam.gserviceaccount.com";

	private static final int BOOT4_GRPC = freePort();

	private static final int BOOT3_GRPC = freePort();

	private static final int HANDSHAKER = freePort();

	private static final Path BOOT3_LOG = Path.of("target", "boot3-app.log");

	private static Process boot3;

	@DynamicPropertySource
	static void ports(DynamicPropertyRegistry registry) {
		registry.add("spring.grpc.server.port", () -> BOOT4_GRPC);
		registry.add("spring.grpc.client.channel.boot3.target", () -> "static://127.0.0.1:" + BOOT3_GRPC);
		registry.add("grpc.ready-read.alts.embedded-handshaker.port", () -> HANDSHAKER);
	}

	@BeforeAll
	static void startBoot3App() throws Exception {
		File jar = new File(System.getProperty("boot3.app.jar"));
		assertThat(jar).as("built by alts-interop-boot3-app").isFile();
		Files.createDirectories(BOOT3_LOG.getParent());
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		boot3 = new ProcessBuilder(java, "-Xmx256m", "-jar", jar.getAbsolutePath(),
				"--grpc.server.port=" + BOOT3_GRPC, "--grpc.client.boot4.address=static://127.0.0.1:" + BOOT4_GRPC,
				"--grpc.ready-read.alts.handshaker-address=127.0.0.1:" + HANDSHAKER,
				"--interop.parent-pid=" + ProcessHandle.current().pid(), "--interop.lifetime=PT5M")
			.redirectErrorStream(true)
			.redirectOutput(BOOT3_LOG.toFile())
			.start();
		Runtime.getRuntime().addShutdownHook(new Thread(AltsInteropTests::stopBoot3App));
		try {
			await("the Spring Boot 3.5 app's gRPC port").atMost(Duration.ofMinutes(2))
				.pollInterval(Duration.ofMillis(500))
				.failFast("the Spring Boot 3.5 app exited", () -> !boot3.isAlive())
				.until(() -> accepts(BOOT3_GRPC));
		}
		catch (Throwable ex) {
			System.out.println(Files.readString(BOOT3_LOG));
			throw ex;
		}
	}

	@AfterAll
	static void stopBoot3App() {
		Process process = boot3;
		if (process == null || !process.isAlive()) {
			return;
		}
		process.destroy();
		try {
			if (!process.waitFor(20, TimeUnit.SECONDS)) {
				process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
	}

	@Autowired
	GrpcChannelFactory channels;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@LocalServerPort
	int httpPort;

	@Test
	void boot3AppRunsTheReadyReadPathOnEpoll() throws IOException {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		assertThat(Files.readString(BOOT3_LOG))
			.contains("gRPC ready-read: mode=ready-read, transport=epoll, read-path=ready");
	}

	@Test
	void boot4ChannelCallsTheBoot3ServerOverAlts() throws Exception {
		ManagedChannel boot3 = this.channels.createChannel("boot3");
		ClientCall<byte[], byte[]> call = boot3.newCall(InteropService.ECHO, CallOptions.DEFAULT);
		byte[] answer = ClientCalls.futureUnaryCall(call, "hello from boot 4".getBytes(StandardCharsets.UTF_8))
			.get(60, TimeUnit.SECONDS);
		assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("hello from boot 4");
		AltsPeer server = AltsPeer.fromCall(call);
		assertThat(server).as("ALTS peer of the call").isNotNull();
		assertThat(server.peerServiceAccount()).isEqualTo(ACCOUNT);
		assertThat(server.recordProtocol()).isEqualTo("ALTSRP_GCM_AES128_REKEY");
		// The net.devh server saw this call come over ALTS.
		assertThat(call(boot3, InteropService.PEER)).isEqualTo(ACCOUNT);
		if (Epoll.isAvailable()) {
			assertThat(this.readPaths.channel("boot3").stats().liveChannels()).isNotEmpty().allSatisfy((channel) -> {
				assertThat(channel).isInstanceOf(EpollSocketChannel.class);
				assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			});
		}
		assertThat(get("/actuator/bufferpool/boot3")).contains("\"security\":\"alts\"")
			.contains("\"readPath\":\"ready\"");
	}

	@Test
	void boot3ChannelCallsTheBoot4ServerOverAlts() throws Exception {
		// Relay: the net.devh app calls this app's Peer over its own ALTS channel "boot4".
		String relayed = call(this.channels.createChannel("boot3"), InteropService.RELAY);
		assertThat(relayed).startsWith("peer=" + ACCOUNT + ";security=alts;live=");
		if (Epoll.isAvailable()) {
			assertThat(relayed).contains("EpollSocketChannel").doesNotContain("Nio");
			// The connections this server accepted are the net.devh app's.
			assertThat(this.readPaths.server().stats().liveChannels()).isNotEmpty().allSatisfy((channel) -> {
				assertThat(channel).isInstanceOf(EpollSocketChannel.class);
				assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			});
		}
		String bufferpool = get("/actuator/bufferpool").replace(" ", "");
		int server = bufferpool.indexOf("\"server\":{");
		assertThat(server).isNotNegative();
		assertThat(bufferpool.substring(server, bufferpool.indexOf('}', server))).contains("\"security\":\"alts\"");
	}

	private static String call(ManagedChannel channel, MethodDescriptor<byte[], byte[]> method) {
		return new String(ClientCalls.blockingUnaryCall(channel, method,
				CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), new byte[0]), StandardCharsets.UTF_8);
	}

	private String get(String path) throws Exception {
		HttpResponse<String> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.httpPort + path)).build(),
					HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
		return response.body();
	}

	private static boolean accepts(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
