package io.github.readyread.grpc.readpath;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.github.readyread.grpc.CountingRelay;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsRecordDecoder;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCalls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The read path's memory contract on ALTS connections, through the production wiring
 * ({@link ReadyReadTransport} with ALTS negotiators), measured from each side's own pool:
 * idle connections pin nothing, and connections whose bytes stop inside an ALTS frame pin
 * only what waits there.
 */
class AltsReadPathInvariantTests {

	private static final int IDLE_CONNECTIONS = 500;

	private static final int STALLED_CONNECTIONS = 100;

	/** Size of the one message the stalled connections' server streams. */
	private static final int MESSAGE = 512 * 1024;

	/**
	 * Server-to-client bytes the relay forwards before it holds: inside a 16 KiB frame.
	 */
	private static final int FORWARD = 64 * 1024 + 5000;

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
		try (SocketRig rig = rig(transport).start()) {
			SocketRig.Side client = rig.client;
			SocketRig.Side server = rig.server;
			List<ManagedChannel> channels = new ArrayList<>();
			try {
				for (int i = 0; i < IDLE_CONNECTIONS; i++) {
					channels.add(rig.channel());
				}
				List<com.google.common.util.concurrent.ListenableFuture<byte[]>> calls = new ArrayList<>();
				for (ManagedChannel channel : channels) {
					calls.add(ClientCalls.futureUnaryCall(channel.newCall(EchoService.ECHO, CallOptions.DEFAULT),
							new byte[4096]));
				}
				for (var call : calls) {
					assertThat(call.get(60, TimeUnit.SECONDS)).hasSize(4096);
				}
				assertThat(client.stats.connections()).isEqualTo(IDLE_CONNECTIONS);
				assertThat(server.stats.connections()).isEqualTo(IDLE_CONNECTIONS);
				awaitPinnedAtRest(rig);
				long clientReadPath = client.stats.pinnedBytes();
				long serverReadPath = server.stats.pinnedBytes();
				long clientPool = client.pinnedOutsideRingsWhileConnected();
				long serverPool = server.pinnedOutsideRingsWhileConnected();
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
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			rig.closeAndAssertPoolsEmpty();
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
		try (SocketRig rig = rig(transport).clientReadPath(readPath).sizing(sizing).start()) {
			SocketRig.Side client = rig.client;
			List<ClientCall<byte[], byte[]>> calls = new ArrayList<>();
			try (HoldingRelay relay = new HoldingRelay(rig.port(), FORWARD)) {
				for (int i = 0; i < STALLED_CONNECTIONS; i++) {
					ManagedChannel channel = rig.channel(relay.port());
					ClientCall<byte[], byte[]> call = channel.newCall(EchoService.DOWNLOAD, CallOptions.DEFAULT);
					call.start(new ClientCall.Listener<>() {
					}, new Metadata());
					call.request(1);
					call.sendMessage(EchoService.downloadRequest(1, MESSAGE, i));
					call.halfClose();
					calls.add(call);
				}
				await("connections held by the relay").atMost(Duration.ofSeconds(60))
					.until(() -> relay.holding() == STALLED_CONNECTIONS);
				SocketRig.awaitQuiet("pinned bytes at rest", () -> true, client::pinnedOutsideRings,
						Duration.ofMillis(500), Duration.ofSeconds(10));
				long waiting = relay.forwarded() / STALLED_CONNECTIONS;
				long readPathBytes = client.stats.pinnedBytes();
				long pool = client.pinnedOutsideRingsWhileConnected();
				report(config + " stalled ALTS x" + STALLED_CONNECTIONS + " (" + waiting + " B forwarded each)",
						readPathBytes, -1, pool, -1, STALLED_CONNECTIONS);
				assertIncompleteFramesPinAtMostWhatTheirFramesReceived(config, client.stats, relay);
				if (readPath == ReadPath.READY) {
					// Adaptive reads pass a DATA frame's received bytes on to
					// gRPC and hold the record's received part at its exact size:
					// the pool holds about the bytes waiting. Exact reads do the
					// same on NIO and io_uring (README: "as adaptive") and leave
					// the record's part in the kernel on epoll: less. A read
					// buffer kept for those few KiB (a retained slice) would add
					// the rest of the buffer.
					assertThat(pool / STALLED_CONNECTIONS).as("pool bytes per stalled connection")
						.isLessThanOrEqualTo(waiting + 1024);
					System.out.printf("[invariants] %s: incomplete frames held in the process: %d%n", config,
							client.stats.incompleteFrames());
					if ("epoll".equals(transport) && sizing == ReadSizing.EXACT) {
						// Each connection waits inside an ALTS record and, behind it,
						// inside an HTTP/2 frame. With exact reads the record's received
						// part stays in the kernel thanks to SO_RCVLOWAT, so the process
						// holds nothing of it, except on the connections the kernel wakes
						// early (it is a hint). Without the mark every connection holds
						// that part (about 4.6 KiB), as nio-ready-EXACT does: one
						// incomplete frame per connection.
						assertThat(client.stats.incompleteFrames())
							.as("incomplete frames held in the process (a connection without the mark holds one)")
							.isLessThan(STALLED_CONNECTIONS / 4);
						assertThat(readPathBytes / STALLED_CONNECTIONS)
							.as("read path bytes per stalled connection with the low-water mark")
							.isLessThanOrEqualTo(64);
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
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			await("client pool back to its rings").atMost(Duration.ofSeconds(20))
				.until(() -> client.pinnedOutsideRings() == 0);
			rig.closeAndAssertPoolsEmpty();
		}
	}

	// 3000 B messages, several to a 16 KiB HTTP/2 DATA frame; the relay holds inside the
	// stream, so the message gRPC waits for began in an earlier DATA frame, behind the
	// end of another.
	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio", "io_uring" })
	void altsConnectionsStalledInsideAMessageBegunInAnEarlierFrameKeepAboutThatMessagesBytes(String transport)
			throws Exception {
		int size = 3000;
		try (SocketRig rig = rig(transport).readPath(ReadPath.READY).start()) {
			SocketRig.Side client = rig.client;
			List<ClientCall<byte[], byte[]>> calls = new ArrayList<>();
			try (HoldingRelay relay = new HoldingRelay(rig.port(), FORWARD)) {
				for (int i = 0; i < STALLED_CONNECTIONS; i++) {
					ManagedChannel channel = rig.channel(relay.port());
					ClientCall<byte[], byte[]> call = channel.newCall(EchoService.DOWNLOAD, CallOptions.DEFAULT);
					call.start(new ClientCall.Listener<>() {
						@Override
						public void onMessage(byte[] message) {
							call.request(1);
						}
					}, new Metadata());
					call.request(1);
					call.sendMessage(EchoService.downloadRequest(100, size, i));
					call.halfClose();
					calls.add(call);
				}
				await("connections held by the relay").atMost(Duration.ofSeconds(60))
					.until(() -> relay.holding() == STALLED_CONNECTIONS);
				SocketRig.awaitQuiet("pinned bytes at rest", () -> true, client::pinnedOutsideRings,
						Duration.ofMillis(500), Duration.ofSeconds(10));
				long pool = client.pinnedOutsideRingsWhileConnected() / STALLED_CONNECTIONS;
				long readPath = client.stats.pinnedBytes() / STALLED_CONNECTIONS;
				assertIncompleteFramesPinAtMostWhatTheirFramesReceived(transport + " 3000 B messages", client.stats,
						relay);
				System.out.printf(
						"[invariants] %s ALTS stalled inside %d B messages x%d: per connection: client pool %d B, read"
								+ " path %d B, the rest (gRPC) %d B%n",
						transport, size, STALLED_CONNECTIONS, pool, readPath, pool - readPath);
				// gRPC keeps at most the head of one message (in a buffer of its size, up
				// to 1/8 more), never the 16 KiB DATA frame it came in.
				assertThat(pool - readPath).as("bytes gRPC keeps per connection")
					.isLessThanOrEqualTo(size + 5 + (size + 5) / 8 + 256);
				// And it does keep that head: the bound above holds trivially where the
				// relay's cut leaves gRPC nothing to keep. A connection held before its
				// first message shows about 300 B here; one held inside a message about
				// 3000 B.
				assertThat(pool - readPath).as("bytes gRPC keeps per connection stalled inside a message")
					.isGreaterThan(1024);
				for (ClientCall<byte[], byte[]> call : calls) {
					call.cancel("done", null);
				}
			}
			finally {
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			await("client pool back to its rings").atMost(Duration.ofSeconds(20))
				.until(() -> client.pinnedOutsideRings() == 0);
			rig.closeAndAssertPoolsEmpty();
		}
	}

	// Several messages to a DATA frame, past the 1 MiB flow-control window many times,
	// through ALTS records: the split DATA frames count the same bytes.
	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio", "io_uring" })
	void altsSmallMessagesFlowThroughFramesSplitAtMessageBoundaries(String transport) throws Exception {
		try (SocketRig rig = rig(transport).readPath(ReadPath.READY).start()) {
			ManagedChannel channel = rig.channel();
			try {
				int count = 6000;
				int size = 1001;
				java.util.Iterator<byte[]> messages = ClientCalls.blockingServerStreamingCall(channel,
						EchoService.DOWNLOAD, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
						EchoService.downloadRequest(count, size, 0));
				for (int i = 0; i < count; i++) {
					assertThat(messages.next()).isEqualTo(EchoService.content(i, size));
				}
				assertThat(messages.hasNext()).isFalse();
				long splits = rig.client.stats.liveChannels()
					.stream()
					.mapToLong((c) -> c.pipeline().get(Http2FrameAligner.class).splitDataFrames())
					.sum();
				assertThat(splits).as("DATA frames split by the client's aligner").isPositive();
			}
			finally {
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "epoll-ready", "nio-ready", "io_uring-ready", "epoll-conventional", "nio-conventional" })
	void bytesReadAreExactlyTheBytesThePeerSentOnTheWire(String config) throws Exception {
		String transport = config.substring(0, config.lastIndexOf('-'));
		ReadPath readPath = config.endsWith("ready") ? ReadPath.READY : ReadPath.CONVENTIONAL;
		try (SocketRig rig = rig(transport).readPath(readPath).start()) {
			ReadPathStats serverStats = rig.server.stats;
			SocketRig.Side client = rig.client;
			try (CountingRelay relay = new CountingRelay(rig.port())) {
				ManagedChannel channel = rig.channel(relay.port());
				try {
					for (int size : new int[] { 0, 100, 70_000, 1024 * 1024 }) {
						assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT,
								new byte[size]))
							.hasSize(size);
					}
					await().atMost(Duration.ofSeconds(20))
						.untilAsserted(
								() -> assertThat(new long[] { client.stats.bytesRead(), serverStats.bytesRead() })
									.as("bytes read by client and server")
									.containsExactly(relay.toClient(), relay.toServer()));
				}
				finally {
					rig.shutdownChannels();
				}
			}
			finally {
				rig.shutdownServerNow();
			}
			rig.closeAndAssertPoolsEmpty();
		}
	}

	/**
	 * The memory contract of a connection waiting inside a frame: it holds at most that
	 * frame's received bytes, in a buffer of their exact size. What incomplete frames pin
	 * (the capacity of the buffers {@code PartialFrame} holds) is bounded by what the
	 * relay forwarded of the ALTS record each connection waits in, not by the read path's
	 * own count of the bytes it holds. A retained slice of a read buffer would count only
	 * its own length here: the pool bound is what catches that.
	 * <p>
	 * Holds for every read path, sizing and transport: the record decoder is the same on
	 * the conventional path, and where the record's received bytes stay in the kernel
	 * (epoll, exact reads, {@code SO_RCVLOWAT}) the process holds less. The allowance of
	 * 64 B per connection is for the HTTP/2 frame aligner behind the record decoder
	 * (ready path only), which may hold the part of one frame that is not DATA (a DATA
	 * frame goes on in pieces) decrypted from records that ended inside it: at most 8 B
	 * of a 9 B frame header, or of a PING or WINDOW_UPDATE frame (17 and 13 B), since the
	 * streams here carry no HEADERS frame past the relay's cut.
	 */
	private static void assertIncompleteFramesPinAtMostWhatTheirFramesReceived(String config, ReadPathStats stats,
			HoldingRelay relay) {
		assertThat(relay.framingErrors()).as("frames of the bytes the relay forwarded").isEmpty();
		List<Integer> received = relay.receivedOfWaitedInRecords();
		assertThat(received).as("bytes forwarded of the ALTS record each connection waits in: a cut inside one")
			.hasSize(STALLED_CONNECTIONS)
			.allSatisfy((bytes) -> assertThat(bytes).isPositive());
		long receivedOfWaitedInRecords = received.stream().mapToLong(Integer::longValue).sum();
		long incompletePinned = stats.incompletePinnedBytes();
		System.out.printf(
				"[invariants] %s: per connection: %d B received of the record waited in, incomplete frames: %d B"
						+ " held, %d B pinned%n",
				config, receivedOfWaitedInRecords / STALLED_CONNECTIONS, stats.incompleteBytes() / STALLED_CONNECTIONS,
				incompletePinned / STALLED_CONNECTIONS);
		assertThat(stats.readBuffersPinnedBytes()).as("read buffers pinned between reads").isZero();
		assertThat(incompletePinned)
			.as("pool bytes incomplete frames pin, against the bytes received of the records %d connections wait in"
					+ " (+ 64 B each)", STALLED_CONNECTIONS)
			.isLessThanOrEqualTo(receivedOfWaitedInRecords + 64L * STALLED_CONNECTIONS);
		assertThat(incompletePinned).as("pool bytes incomplete frames pin (exact size: the bytes they hold)")
			.isEqualTo(stats.incompleteBytes());
	}

	/**
	 * ALTS on both sides as the starters wire it: {@link ReadyReadTransport} with ALTS
	 * negotiators, rings of 8 x 32 KiB.
	 */
	private static SocketRig.Options rig(String transport) {
		return SocketRig.on(transport)
			.ring(8, 32 * 1024)
			.wiring(SocketRig.Wiring.TRANSPORT)
			// 16 KiB records (the smallest; the default offer is 128 KiB): records and
			// HTTP/2 frames then end inside reads, which is what these bounds are about.
			// A
			// connection waiting inside a 128 KiB record holds that record's received
			// bytes the same way (benchmarks, scenarios 4, 4b and 4c).
			.security(SocketRig.Security.alts(handshaker.channel(), AltsFrameSizes.DEFAULT));
	}

	/**
	 * Waits until in-flight reads and writes settle: both sides' pinned figures unchanged
	 * for 500 ms, within 10 s.
	 */
	private static void awaitPinnedAtRest(SocketRig rig) {
		SocketRig.awaitQuiet("pinned bytes at rest", () -> true,
				() -> rig.client.pinnedOutsideRings() + rig.server.pinnedOutsideRings(), Duration.ofMillis(500),
				Duration.ofSeconds(10));
	}

	private static void report(String what, long clientReadPath, long serverReadPath, long clientPool, long serverPool,
			int connections) {
		System.out.printf("[invariants] %s: per connection: client read path %d B, client pool %d B%s%n", what,
				clientReadPath / connections, clientPool / connections, (serverPool >= 0) ? ", server read path "
						+ serverReadPath / connections + " B, server pool " + serverPool / connections + " B" : "");
	}

	/**
	 * TCP relay that forwards client bytes freely and the first {@code limit} server
	 * bytes of each connection, then holds the rest: ALTS records are opaque, so the cut
	 * is a byte count chosen to fall inside a record of the streamed message. It follows
	 * the frames of the server bytes it forwards ({@link ForwardedFrames}), so it tells
	 * how much of the record it holds inside each connection has received.
	 */
	private static final class HoldingRelay implements AutoCloseable {

		private final ServerSocket listener;

		private final int targetPort;

		private final int limit;

		private final AtomicInteger holding = new AtomicInteger();

		private final AtomicLong forwarded = new AtomicLong();

		private final List<Socket> sockets = new CopyOnWriteArrayList<>();

		private final List<Integer> receivedOfWaitedInRecords = new CopyOnWriteArrayList<>();

		private final List<String> framingErrors = new CopyOnWriteArrayList<>();

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

		/**
		 * For each connection held: the bytes forwarded of the frame the relay holds
		 * inside (its header included), 0 for a cut between frames.
		 */
		List<Integer> receivedOfWaitedInRecords() {
			return List.copyOf(this.receivedOfWaitedInRecords);
		}

		/**
		 * Server bytes that did not follow the expected framing, one line a connection.
		 */
		List<String> framingErrors() {
			return List.copyOf(this.framingErrors);
		}

		private void accept() {
			while (!this.listener.isClosed()) {
				try {
					Socket client = this.listener.accept();
					Socket server = new Socket(InetAddress.getLoopbackAddress(), this.targetPort);
					this.sockets.add(client);
					this.sockets.add(server);
					pump(client, server, Long.MAX_VALUE, null);
					pump(server, client, this.limit, new ForwardedFrames());
				}
				catch (IOException ex) {
					return;
				}
			}
		}

		private void pump(Socket from, Socket to, long limit, ForwardedFrames frames) {
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
						if (frames != null) {
							this.forwarded.addAndGet(n);
							frames.forwarded(buffer, n);
						}
					}
					if (frames != null) {
						// Before holding() counts it: what the test reads once all are
						// held.
						if (frames.error() != null) {
							this.framingErrors.add(frames.error());
						}
						this.receivedOfWaitedInRecords.add(frames.receivedOfCurrentFrame());
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

	/**
	 * Follows the frames of a connection's server bytes as they are forwarded: first the
	 * embedded handshaker's ServerInit message (a 4-byte big-endian length, then that
	 * many bytes), then ALTS records (a 4-byte little-endian length, then that many
	 * bytes: the type, 6, the ciphertext and its tag), up to the negotiated frame size.
	 * Bytes that do not follow that framing are reported, not guessed at.
	 */
	private static final class ForwardedFrames {

		private final byte[] header = new byte[AltsRecordDecoder.HEADER_BYTES];

		private int headerFill;

		private long bodyRemaining;

		private boolean handshakeDone;

		private int currentFrameBytes;

		private String error;

		void forwarded(byte[] bytes, int length) {
			for (int i = 0; i < length && this.error == null; i++) {
				next(bytes[i]);
			}
		}

		/**
		 * Bytes forwarded of the frame under way, its header included; 0 between frames.
		 */
		int receivedOfCurrentFrame() {
			return this.currentFrameBytes;
		}

		String error() {
			return this.error;
		}

		private void next(byte b) {
			this.currentFrameBytes++;
			if (this.bodyRemaining > 0) {
				this.bodyRemaining--;
				if (this.bodyRemaining == 0) {
					frameEnded();
				}
				return;
			}
			this.header[this.headerFill++] = b;
			if (!this.handshakeDone) {
				if (this.headerFill == 4) {
					this.bodyRemaining = ByteBuffer.wrap(this.header, 0, 4).order(ByteOrder.BIG_ENDIAN).getInt();
					this.headerFill = 0;
					if (this.bodyRemaining <= 0) {
						this.error = "handshake message of length " + this.bodyRemaining;
					}
				}
				return;
			}
			if (this.headerFill < AltsRecordDecoder.HEADER_BYTES) {
				return;
			}
			ByteBuffer fields = ByteBuffer.wrap(this.header).order(ByteOrder.LITTLE_ENDIAN);
			int length = fields.getInt();
			int type = fields.getInt();
			this.headerFill = 0;
			if (type != AltsRecordDecoder.FRAME_TYPE || length < AltsRecordDecoder.MIN_LENGTH_FIELD
					|| length + 4 > AltsFrameSizes.DEFAULT) {
				this.error = "record of type " + type + " and length " + length;
				return;
			}
			this.bodyRemaining = length - 4;
			if (this.bodyRemaining == 0) {
				frameEnded();
			}
		}

		private void frameEnded() {
			this.handshakeDone = true;
			this.currentFrameBytes = 0;
		}

	}

}
