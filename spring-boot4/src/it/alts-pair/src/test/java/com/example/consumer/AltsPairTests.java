package com.example.consumer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.alts.AltsPeer;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Spring Boot 4.1 app whose gRPC server accepts only ALTS and whose channel
 * {@code backend} connects to it over ALTS through the embedded handshaker, configured
 * only in application.yml.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class AltsPairTests {

	private static final String ACCOUNT = "consumer@example.iam.gserviceaccount.com";

	@DynamicPropertySource
	static void grpcPort(DynamicPropertyRegistry registry) {
		int port = freePort();
		registry.add("spring.grpc.server.port", () -> port);
	}

	@Autowired
	GrpcChannelFactory channels;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@LocalServerPort
	int httpPort;

	@Value("${spring.grpc.server.port}")
	int grpcPort;

	@Test
	void callGoesOverAltsWithTheHandshakersIdentityOnBothEnds() throws Exception {
		ManagedChannel backend = this.channels.createChannel("backend");
		ClientCall<byte[], byte[]> call = backend.newCall(EchoService.ECHO, CallOptions.DEFAULT);
		byte[] answer = ClientCalls.futureUnaryCall(call, "hello".getBytes(StandardCharsets.UTF_8))
			.get(30, TimeUnit.SECONDS);
		assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("hello");
		AltsPeer server = AltsPeer.fromCall(call);
		assertThat(server).isNotNull();
		assertThat(server.peerServiceAccount()).isEqualTo(ACCOUNT);
		assertThat(server.recordProtocol()).isEqualTo("ALTSRP_GCM_AES128_REKEY");
		// The server saw the caller come over ALTS too.
		assertThat(call(backend, EchoService.PEER, "")).isEqualTo(ACCOUNT);
	}

	@Test
	void serverRefusesAPlaintextChannel() {
		// A plain target, not among the ALTS channels: plaintext.
		ManagedChannel plaintext = this.channels.createChannel("static://127.0.0.1:" + this.grpcPort);
		assertThatExceptionOfType(StatusRuntimeException.class)
			.isThrownBy(() -> ClientCalls.blockingUnaryCall(plaintext, EchoService.ECHO,
					CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hello".getBytes()))
			.satisfies((ex) -> assertThat(ex.getStatus().getCode())
				.as("status of a plaintext call to the ALTS server (a hanging server would give DEADLINE_EXCEEDED), %s",
						ex.getStatus())
				.isEqualTo(Status.Code.UNAVAILABLE));
		plaintext.shutdownNow();
	}

	@Test
	void liveAltsChannelsAreEpollOnTheSharedAllocator() throws Exception {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		assertThat(call(this.channels.createChannel("backend"), EchoService.ECHO, "hello")).isEqualTo("hello");
		List<Channel> clients = this.readPaths.channel("backend").stats().liveChannels();
		List<Channel> accepted = this.readPaths.server().stats().liveChannels();
		assertThat(clients).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(accepted).isNotEmpty().allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			assertThat(channel.parent()).isInstanceOf(EpollServerSocketChannel.class);
		});
	}

	@Test
	void bufferPoolEndpointSaysAltsForTheServerAndTheChannel() throws Exception {
		assertThat(call(this.channels.createChannel("backend"), EchoService.ECHO, "ping")).isEqualTo("ping");
		HttpResponse<String> whole = get("/actuator/bufferpool");
		assertThat(whole.statusCode()).isEqualTo(200);
		String body = whole.body().replace(" ", "");
		assertThat(body).contains("\"mode\":\"ready-read\"");
		assertThat(section(body, "\"server\":{")).contains("\"security\":\"alts\"").contains("\"readPath\":\"ready\"");
		HttpResponse<String> backend = get("/actuator/bufferpool/backend");
		assertThat(backend.statusCode()).isEqualTo(200);
		assertThat(backend.body()).contains("\"name\":\"backend\"")
			.contains("\"security\":\"alts\"")
			.contains("\"readPath\":\"ready\"");
	}

	private static String section(String json, String start) {
		int from = json.indexOf(start);
		assertThat(from).as("%s in %s", start, json).isNotNegative();
		return json.substring(from, json.indexOf('}', from) + 1);
	}

	private static String call(ManagedChannel channel, io.grpc.MethodDescriptor<byte[], byte[]> method, String text) {
		return new String(ClientCalls.blockingUnaryCall(channel, method,
				CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), text.getBytes(StandardCharsets.UTF_8)),
				StandardCharsets.UTF_8);
	}

	private HttpResponse<String> get(String path) throws Exception {
		return HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.httpPort + path)).build(),
					HttpResponse.BodyHandlers.ofString());
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
