package io.github.readyread.grpc.readpath;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.readyread.grpc.ByteArrayMarshaller;
import io.github.readyread.grpc.CountingRelay;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.Http2FrameAligner;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read path's memory contract on ALTS connections, through the production wiring
 * ({@link ReadyReadTransport} with ALTS negotiators), measured from each side's own pool:
 * idle connections pin nothing, and connections whose bytes stop inside an ALTS frame pin
 * only what waits there.
 */
class AltsReadPathInvariantTests {

	private static final int IDLE_CONNECTIONS = 500;

	private static final int STALLED_CONNECTIONS = 200;

	/** Size of the one message the stalled connections' server streams. */
	private static final int MESSAGE = 512 * 1024;

	/**
	 * Server-to-client bytes the relay forwards before it holds: inside a 16 KiB frame.
	 */
	private static final int FORWARD = 64 * 1024 + 5000;

	private static final MethodDescriptor<byte[], byte[]> ECHO = method(MethodDescriptor.MethodType.UNARY, "Echo");

	private static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method(
			MethodDescriptor.MethodType.SERVER_STREAMING, "Download");

	/**
	 * Request: count and size (ints); response: that many messages of that size, message
	 * i holding {@code i + 31 * j} at byte j.
	 */
	private static final MethodDescriptor<byte[], byte[]> STREAM = method(MethodDescriptor.MethodType.SERVER_STREAMING,
			"Stream");

	private static EmbeddedHandshaker handshaker;

	@BeforeAll
	static void startHandshaker() {
		handshaker = EmbeddedHandshaker.start("invariants@test.invalid");
	}

	@AfterAll
	static void stopHandshaker() {
		handshaker.close();
	}

	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio", "io_uring" })
	void idleAltsConnectionsPinNothingOnTheReadPath(String transport) throws Exception {
		try (AltsSide server = new AltsSide(transport, ReadPath.READY, handshaker);
				AltsSide client = new AltsSide(transport, ReadPath.READY, handshaker)) {
			Server grpcServer = server.startServer(service());
			List<ManagedChannel> channels = new ArrayList<>();
			try {
				for (int i = 0; i < IDLE_CONNECTIONS; i++) {
					channels.add(client.channel(grpcServer.getPort()));
				}
				List<com.google.common.util.concurrent.ListenableFuture<byte[]>> calls = new ArrayList<>();
				for (ManagedChannel channel : channels) {
					calls.add(ClientCalls.futureUnaryCall(channel.newCall(ECHO, CallOptions.DEFAULT), new byte[4096]));
				}
				for (var call : calls) {
					assertThat(call.get(60, TimeUnit.SECONDS)).hasSize(4096);
				}
				assertThat(client.stats.connections()).isEqualTo(IDLE_CONNECTIONS);
				assertThat(server.serverStats.connections()).isEqualTo(IDLE_CONNECTIONS);
				assertThat(awaitQuiet(client, server)).as("pinned bytes at rest").isTrue();
				long clientReadPath = client.stats.pinnedBytes();
				long serverReadPath = server.serverStats.pinnedBytes();
				long clientPool = client.pinnedOutsideRings();
				long serverPool = server.pinnedOutsideRings();
				report(transport + " idle ALTS x" + IDLE_CONNECTIONS, clientReadPath, serverReadPath, clientPool,
						serverPool, IDLE_CONNECTIONS);
				assertThat(clientReadPath / IDLE_CONNECTIONS).as("client read path bytes per idle connection")
					.isLessThanOrEqualTo(64);
				assertThat(serverReadPath / IDLE_CONNECTIONS).as("server read path bytes per idle connection")
					.isLessThanOrEqualTo(64);
				assertThat(clientPool / IDLE_CONNECTIONS).as("client pool bytes per idle connection")
					.isLessThanOrEqualTo(64);
				assertThat(serverPool / IDLE_CONNECTIONS).as("server pool bytes per idle connection")
					.isLessThanOrEqualTo(64);
			}
			finally {
				shutdown(channels);
				grpcServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
			}
		}
	}

	@ParameterizedTest
	// No io_uring-ready-EXACT: a ring receive takes whatever is queued whatever the read
	// size, and io_uring has no SO_RCVLOWAT, so exact reads change nothing there.
	@ValueSource(strings = { "epoll-ready-ADAPTIVE", "epoll-ready-EXACT", "nio-ready-ADAPTIVE", "nio-ready-EXACT",
			"io_uring-ready-ADAPTIVE", "epoll-conventional" })
	void altsConnectionsStalledInsideAFramePinOnlyWhatWaits(String config) throws Exception {
		String[] parts = config.split("-");
		String transport = parts[0];
		ReadPath readPath = "ready".equals(parts[1]) ? ReadPath.READY : ReadPath.CONVENTIONAL;
		ReadSizing sizing = (parts.length > 2) ? ReadSizing.valueOf(parts[2]) : ReadSizing.ADAPTIVE;
		try (AltsSide server = new AltsSide(transport, ReadPath.READY, sizing, handshaker);
				AltsSide client = new AltsSide(transport, readPath, sizing, handshaker)) {
			Server grpcServer = server.startServer(service());
			List<ManagedChannel> channels = new ArrayList<>();
			List<ClientCall<byte[], byte[]>> calls = new ArrayList<>();
			try (HoldingRelay relay = new HoldingRelay(grpcServer.getPort(), FORWARD)) {
				for (int i = 0; i < STALLED_CONNECTIONS; i++) {
					ManagedChannel channel = client.channel(relay.port());
					channels.add(channel);
					ClientCall<byte[], byte[]> call = channel.newCall(DOWNLOAD, CallOptions.DEFAULT);
					call.start(new ClientCall.Listener<>() {
					}, new Metadata());
					call.request(1);
					call.sendMessage(new byte[0]);
					call.halfClose();
					calls.add(call);
				}
				assertThat(await(() -> relay.holding() == STALLED_CONNECTIONS, 60)).as("connections held by the relay")
					.isTrue();
				assertThat(awaitQuiet(client, null)).as("pinned bytes at rest").isTrue();
				long waiting = relay.forwarded() / STALLED_CONNECTIONS;
				long readPathBytes = client.stats.pinnedBytes();
				long incomplete = client.stats.incompletePinnedBytes();
				long pool = client.pinnedOutsideRings();
				report(config + " stalled ALTS x" + STALLED_CONNECTIONS + " (" + waiting + " B forwarded each)",
						readPathBytes, -1, pool, -1, STALLED_CONNECTIONS);
				if (readPath == ReadPath.READY) {
					assertThat(readPathBytes / STALLED_CONNECTIONS).as("read path bytes per stalled connection")
						.isLessThanOrEqualTo(incomplete / STALLED_CONNECTIONS + 64);
					assertThat(pool / STALLED_CONNECTIONS).as("pool bytes per stalled connection")
						.isLessThanOrEqualTo(2 * waiting + 1024);
					System.out.printf("[invariants] %s: incomplete frames held in the process: %d%n", config,
							client.stats.incompleteFrames());
					if ("epoll".equals(transport) && sizing == ReadSizing.EXACT) {
						// Each connection waits inside an ALTS record and, behind it,
						// inside an HTTP/2 frame. The HTTP/2 part is plaintext and must
						// be
						// held; with exact reads the ALTS part stays in the kernel thanks
						// to SO_RCVLOWAT, except on the connections the kernel wakes
						// early
						// (it is a hint).
						assertThat(client.stats.incompleteFrames()).isLessThan(STALLED_CONNECTIONS * 3 / 2);
					}
					if (sizing == ReadSizing.ADAPTIVE) {
						// Adaptive reads take the record's received part too and hold it
						// at
						// its exact size: the pool holds about the bytes waiting.
						assertThat(pool / STALLED_CONNECTIONS).as("pool bytes per stalled connection (adaptive)")
							.isLessThanOrEqualTo(waiting + 1024);
					}
				}
				else {
					// The conventional path keeps whole read buffers for a few KiB each:
					// more than what waits.
					assertThat(pool / STALLED_CONNECTIONS).as("conventional pool bytes per stalled connection")
						.isGreaterThan(waiting + 16 * 1024);
				}
				for (ClientCall<byte[], byte[]> call : calls) {
					call.cancel("done", null);
				}
			}
			finally {
				shutdown(channels);
				grpcServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
			}
			assertThat(await(() -> client.pinnedOutsideRings() == 0, 20)).as("client pool back to its rings").isTrue();
		}
	}

	// 3000 B messages, several to a 16 KiB HTTP/2 DATA frame; the relay holds inside the
	// stream, so the message gRPC waits for began in an earlier DATA frame, behind the
	// end
	// of another.
	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio", "io_uring" })
	void altsConnectionsStalledInsideAMessageBegunInAnEarlierFrameKeepAboutThatMessagesBytes(String transport)
			throws Exception {
		int size = 3000;
		try (AltsSide server = new AltsSide(transport, ReadPath.READY, handshaker);
				AltsSide client = new AltsSide(transport, ReadPath.READY, handshaker)) {
			Server grpcServer = server.startServer(service());
			List<ManagedChannel> channels = new ArrayList<>();
			List<ClientCall<byte[], byte[]>> calls = new ArrayList<>();
			try (HoldingRelay relay = new HoldingRelay(grpcServer.getPort(), FORWARD)) {
				for (int i = 0; i < STALLED_CONNECTIONS; i++) {
					ManagedChannel channel = client.channel(relay.port());
					channels.add(channel);
					ClientCall<byte[], byte[]> call = channel.newCall(STREAM, CallOptions.DEFAULT);
					call.start(new ClientCall.Listener<>() {
						@Override
						public void onMessage(byte[] message) {
							call.request(1);
						}
					}, new Metadata());
					call.request(1);
					call.sendMessage(streamRequest(100, size));
					call.halfClose();
					calls.add(call);
				}
				assertThat(await(() -> relay.holding() == STALLED_CONNECTIONS, 60)).as("connections held by the relay")
					.isTrue();
				assertThat(awaitQuiet(client, null)).as("pinned bytes at rest").isTrue();
				long pool = client.pinnedOutsideRings() / STALLED_CONNECTIONS;
				long readPath = client.stats.pinnedBytes() / STALLED_CONNECTIONS;
				System.out.printf(
						"[invariants] %s ALTS stalled inside %d B messages x%d: per connection: client pool %d B, read"
								+ " path %d B, the rest (gRPC) %d B%n",
						transport, size, STALLED_CONNECTIONS, pool, readPath, pool - readPath);
				// gRPC keeps at most the head of one message (in a buffer of its size, up
				// to 1/8 more), never the 16 KiB DATA frame it came in.
				assertThat(pool - readPath).as("bytes gRPC keeps per connection")
					.isLessThanOrEqualTo(size + 5 + (size + 5) / 8 + 256);
				for (ClientCall<byte[], byte[]> call : calls) {
					call.cancel("done", null);
				}
			}
			finally {
				shutdown(channels);
				grpcServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
			}
			assertThat(await(() -> client.pinnedOutsideRings() == 0, 20)).as("client pool back to its rings").isTrue();
		}
	}

	// Several messages to a DATA frame, past the 1 MiB flow-control window many times,
	// through ALTS records: the split DATA frames count the same bytes.
	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio", "io_uring" })
	void altsSmallMessagesFlowThroughFramesSplitAtMessageBoundaries(String transport) throws Exception {
		try (AltsSide server = new AltsSide(transport, ReadPath.READY, handshaker);
				AltsSide client = new AltsSide(transport, ReadPath.READY, handshaker)) {
			Server grpcServer = server.startServer(service());
			ManagedChannel channel = client.channel(grpcServer.getPort());
			try {
				int count = 6000;
				int size = 1001;
				java.util.Iterator<byte[]> messages = ClientCalls.blockingServerStreamingCall(channel, STREAM,
						CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), streamRequest(count, size));
				for (int i = 0; i < count; i++) {
					assertThat(messages.next()).isEqualTo(streamed(i, size));
				}
				assertThat(messages.hasNext()).isFalse();
				long splits = client.stats.liveChannels()
					.stream()
					.mapToLong((c) -> c.pipeline().get(Http2FrameAligner.class).splitDataFrames())
					.sum();
				assertThat(splits).as("DATA frames split by the client's aligner").isPositive();
			}
			finally {
				shutdown(List.of(channel));
				grpcServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
			}
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "epoll-ready", "nio-ready", "io_uring-ready", "epoll-conventional", "nio-conventional" })
	void bytesReadAreExactlyTheBytesThePeerSentOnTheWire(String config) throws Exception {
		String transport = config.substring(0, config.lastIndexOf('-'));
		ReadPath readPath = config.endsWith("ready") ? ReadPath.READY : ReadPath.CONVENTIONAL;
		try (AltsSide server = new AltsSide(transport, readPath, handshaker);
				AltsSide client = new AltsSide(transport, readPath, handshaker)) {
			Server grpcServer = server.startServer(service());
			ReadPathStats serverStats = server.serverStats;
			try (CountingRelay relay = new CountingRelay(grpcServer.getPort())) {
				ManagedChannel channel = client.channel(relay.port());
				try {
					for (int size : new int[] { 0, 100, 70_000, 1024 * 1024 }) {
						assertThat(ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, new byte[size]))
							.hasSize(size);
					}
					Awaitility.await()
						.atMost(Duration.ofSeconds(20))
						.untilAsserted(
								() -> assertThat(new long[] { client.stats.bytesRead(), serverStats.bytesRead() })
									.as("bytes read by client and server")
									.containsExactly(relay.toClient(), relay.toServer()));
				}
				finally {
					shutdown(List.of(channel));
				}
			}
			finally {
				grpcServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
			}
		}
	}

	/**
	 * Whether in-flight reads and writes settle (pinned figures unchanged for 500 ms)
	 * within 10 s.
	 */
	private static boolean awaitQuiet(AltsSide a, AltsSide b) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		long last = -1;
		int quiet = 0;
		while (quiet < 5) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(100);
			long now = a.pinnedOutsideRings() + ((b != null) ? b.pinnedOutsideRings() : 0);
			quiet = (now == last) ? quiet + 1 : 0;
			last = now;
		}
		return true;
	}

	private static void report(String what, long clientReadPath, long serverReadPath, long clientPool, long serverPool,
			int connections) {
		System.out.printf("[invariants] %s: per connection: client read path %d B, client pool %d B%s%n", what,
				clientReadPath / connections, clientPool / connections, (serverPool >= 0) ? ", server read path "
						+ serverReadPath / connections + " B, server pool " + serverPool / connections + " B" : "");
	}

	private static void shutdown(List<ManagedChannel> channels) throws InterruptedException {
		for (ManagedChannel channel : channels) {
			channel.shutdownNow();
		}
		for (ManagedChannel channel : channels) {
			channel.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	private static boolean await(java.util.function.BooleanSupplier condition, int seconds)
			throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
		while (System.nanoTime() < deadline) {
			if (condition.getAsBoolean()) {
				return true;
			}
			Thread.sleep(50);
		}
		return condition.getAsBoolean();
	}

	private static ServerServiceDefinition service() {
		byte[] message = new byte[MESSAGE];
		for (int i = 0; i < message.length; i++) {
			message[i] = (byte) (i * 7);
		}
		return ServerServiceDefinition.builder("test.Invariants")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall((request, response) -> {
				response.onNext(message);
				response.onCompleted();
			}))
			.addMethod(STREAM, ServerCalls.asyncServerStreamingCall((request, response) -> {
				ByteBuffer spec = ByteBuffer.wrap(request);
				int count = spec.getInt();
				int size = spec.getInt();
				for (int i = 0; i < count; i++) {
					response.onNext(streamed(i, size));
				}
				response.onCompleted();
			}))
			.build();
	}

	private static byte[] streamed(int index, int size) {
		byte[] message = new byte[size];
		for (int j = 0; j < size; j++) {
			message[j] = (byte) (index + 31 * j);
		}
		return message;
	}

	private static byte[] streamRequest(int count, int size) {
		return ByteBuffer.allocate(8).putInt(count).putInt(size).array();
	}

	private static MethodDescriptor<byte[], byte[]> method(MethodDescriptor.MethodType type, String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(type)
			.setFullMethodName("test.Invariants/" + name)
			.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
			.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
			.build();
	}

	/**
	 * TCP relay that forwards client bytes freely and the first {@code limit} server
	 * bytes of each connection, then holds the rest: ALTS records are opaque, so the cut
	 * is a byte count chosen to fall inside a record of the streamed message.
	 */
	private static final class HoldingRelay implements AutoCloseable {

		private final ServerSocket listener;

		private final int targetPort;

		private final int limit;

		private final AtomicInteger holding = new AtomicInteger();

		private final AtomicLong forwarded = new AtomicLong();

		private final List<Socket> sockets = new CopyOnWriteArrayList<>();

		private final CountDownLatch closed = new CountDownLatch(1);

		HoldingRelay(int targetPort, int limit) throws IOException {
			this.listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
			this.targetPort = targetPort;
			this.limit = limit;
			Thread acceptor = new Thread(this::accept, "holding-relay");
			acceptor.setDaemon(true);
			acceptor.start();
		}

		int port() {
			return this.listener.getLocalPort();
		}

		int holding() {
			return this.holding.get();
		}

		long forwarded() {
			return this.forwarded.get();
		}

		private void accept() {
			while (!this.listener.isClosed()) {
				try {
					Socket client = this.listener.accept();
					Socket server = new Socket(InetAddress.getLoopbackAddress(), this.targetPort);
					this.sockets.add(client);
					this.sockets.add(server);
					pump(client, server, Long.MAX_VALUE);
					pump(server, client, this.limit);
				}
				catch (IOException ex) {
					return;
				}
			}
		}

		private void pump(Socket from, Socket to, long limit) {
			Thread pump = new Thread(() -> {
				byte[] buffer = new byte[8192];
				long sent = 0;
				try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
					while (sent < limit) {
						int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - sent));
						if (n < 0) {
							return;
						}
						out.write(buffer, 0, n);
						out.flush();
						sent += n;
						if (limit != Long.MAX_VALUE) {
							this.forwarded.addAndGet(n);
						}
					}
					this.holding.incrementAndGet();
					this.closed.await();
				}
				catch (IOException | InterruptedException ex) {
					// connection closed
				}
			}, "holding-relay-pump");
			pump.setDaemon(true);
			pump.start();
		}

		@Override
		public void close() throws IOException {
			this.closed.countDown();
			this.listener.close();
			for (Socket socket : this.sockets) {
				socket.close();
			}
		}

	}

}
