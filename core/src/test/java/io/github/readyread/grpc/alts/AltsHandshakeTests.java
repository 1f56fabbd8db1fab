package io.github.readyread.grpc.alts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.readyread.grpc.Bystander;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.internal.ReadyReadNegotiators;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.HandshakerStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Handshake concurrency and failures: every failure ends the connection with a precise
 * status, releases everything, and leaves the server serving healthy connections, the one
 * opened before the fault included.
 */
class AltsHandshakeTests {

	/**
	 * Largest read of the server's connections: Netty's adaptive default on the
	 * conventional read path, the one the ready read path is given here.
	 */
	private static final int LARGEST_READ = 64 * 1024;

	private final ReadPathStats stats = new ReadPathStats("test");

	private EmbeddedHandshaker handshaker;

	private AltsNegotiator serverNegotiator;

	private SocketRig rig;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@BeforeEach
	void startServer() throws IOException {
		this.handshaker = EmbeddedHandshaker.start("test@test");
		this.serverNegotiator = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats));
		this.rig = SocketRig.onEpollOrNio().serverSecurity((side) -> this.serverNegotiator).start();
	}

	@AfterEach
	void nothingLeftBehind() throws Exception {
		this.rig.shutdownChannels();
		this.rig.shutdownServerNow();
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.handshaker.close();
		assertThat(this.serverNegotiator.limiter().active()).isZero();
		assertThat(this.serverNegotiator.limiter().queued()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
		this.rig.closeAndAssertPoolsEmpty();
	}

	@Test
	void eightyConnectionsToItselfAtOnceAllSucceedWithSeparateClientAndServerLimits() throws Exception {
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		List<ListenableFuture<byte[]>> calls = new ArrayList<>();
		for (int i = 0; i < 80; i++) {
			ManagedChannel channel = channel(client);
			calls.add(ClientCalls.futureUnaryCall(
					channel.newCall(EchoService.ECHO, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
					new byte[] { (byte) i }));
		}
		for (int i = 0; i < calls.size(); i++) {
			assertThat(calls.get(i).get(40, TimeUnit.SECONDS)).containsExactly((byte) i);
		}
		assertThat(client.limiter().maxConcurrent()).isEqualTo(32);
		assertThat(this.serverNegotiator.limiter().maxConcurrent()).isEqualTo(32);
		// Positive too: a limiter the handshakes bypassed would show 0.
		assertThat(client.limiter().peakActive()).as("client handshakes that ran at once at most")
			.isPositive()
			.isLessThanOrEqualTo(32);
		assertThat(this.serverNegotiator.limiter().peakActive()).as("server handshakes that ran at once at most")
			.isPositive()
			.isLessThanOrEqualTo(32);
		assertThat(client.limiter().active()).isZero();
		assertThat(client.limiter().queued()).isZero();
	}

	@Test
	void handshakerErrorStatusFailsTheConnectionWithItsDetails() throws Exception {
		Bystander healthy = openHealthyConnection();
		io.grpc.Channel failing = handshakerChannel(new HandshakerServiceGrpc.HandshakerServiceImplBase() {
			@Override
			public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> responses) {
				return new Requests((request) -> responses.onNext(HandshakerResp.newBuilder()
					.setStatus(HandshakerStatus.newBuilder().setCode(7).setDetails("denied by test"))
					.build()));
			}
		});
		assertCallFails(failing, Duration.ofSeconds(10), "ALTS handshaker service error: code 7: denied by test");
		healthy.assertUntouched();
		assertNewConnectionWorks();
	}

	@Test
	void unreachableHandshakerFailsTheConnection() throws Exception {
		Bystander healthy = openHealthyConnection();
		ManagedChannel nowhere = InProcessChannelBuilder.forName("no-such-handshaker-" + UUID.randomUUID()).build();
		this.closeables.add(() -> nowhere.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
		assertCallFails(nowhere, Duration.ofSeconds(10), "ALTS handshaker service failed: UNAVAILABLE");
		healthy.assertUntouched();
		assertNewConnectionWorks();
	}

	@Test
	void slowHandshakerTimesTheHandshakeOut() throws Exception {
		Bystander healthy = openHealthyConnection();
		io.grpc.Channel silent = handshakerChannel(new HandshakerServiceGrpc.HandshakerServiceImplBase() {
			@Override
			public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> responses) {
				return new Requests((request) -> {
				});
			}
		});
		assertCallFails(silent, Duration.ofMillis(300),
				"ALTS handshake timed out after 300 ms (waiting for the handshaker service)");
		healthy.assertUntouched();
		assertNewConnectionWorks();
	}

	@Test
	void peerClosingDuringTheHandshakeFailsTheConnection() throws Exception {
		Bystander healthy = openHealthyConnection();
		try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			Thread acceptor = new Thread(() -> {
				try (Socket socket = closer.accept()) {
					socket.getInputStream().read(new byte[100]);
				}
				catch (IOException ex) {
					// closed by the test
				}
			});
			acceptor.start();
			AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
			ManagedChannel channel = this.rig.channel(closer.getLocalPort(), client);
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
						CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[1]))
				.satisfies((ex) -> {
					assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
					assertThat(ex.getStatus().getDescription())
						.startsWith("ALTS handshake failed: connection closed by the peer");
				});
			acceptor.join(5000);
			assertThat(client.limiter().active()).isZero();
		}
		healthy.assertUntouched();
		assertNewConnectionWorks();
	}

	@Test
	void clientThatNeverSpeaksIsTimedOutByTheServerAndFreesItsSlot() throws Exception {
		AltsNegotiator quickServer = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats)
			.withHandshakeTimeout(Duration.ofMillis(300))
			.withMaxConcurrentHandshakes(1));
		Server timing = this.rig.startServer(quickServer);
		// Its handshake done, it holds no permit: the silent client gets the only one.
		Bystander healthy = openHealthyConnection(timing.getPort());
		try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), timing.getPort())) {
			silent.setSoTimeout(5000);
			// The server closes the connection once its handshake times out.
			assertThat(silent.getInputStream().read()).isEqualTo(-1);
		}
		assertThat(quickServer.limiter().active()).isZero();
		healthy.assertUntouched();
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		ManagedChannel channel = channel(client, timing.getPort());
		assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 5 }))
			.containsExactly(5);
	}

	@Test
	void tricklingPeersLoseTheirPermitsAtTheDeadlineAndAHealthyHandshakeGetsThrough() throws Exception {
		// Three peers hold (or wait for) both permits, each sending one byte of a long
		// handshake message every 300 ms: every byte makes the handshaker answer.
		AltsNegotiator limited = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats)
			.withHandshakeTimeout(Duration.ofSeconds(2))
			.withMaxConcurrentHandshakes(2));
		Server guarded = this.rig.startServer(limited);
		Bystander healthy = openHealthyConnection(guarded.getPort());
		List<Socket> tricklers = new ArrayList<>();
		ExecutorService threads = Executors.newCachedThreadPool();
		this.closeables.add(threads::shutdownNow);
		List<Future<?>> closedByServer = new ArrayList<>();
		AtomicInteger trickled = new AtomicInteger();
		for (int i = 0; i < 3; i++) {
			Socket socket = new Socket(InetAddress.getLoopbackAddress(), guarded.getPort());
			this.closeables.add(socket);
			tricklers.add(socket);
			// A 4096-byte embedded handshake message, announced and never finished.
			socket.getOutputStream().write(new byte[] { 0, 0, 0x10, 0 });
			closedByServer.add(threads.submit(() -> {
				while (socket.getInputStream().read() >= 0) {
					// the server sends nothing before the client's message is whole
				}
				return null;
			}));
		}
		threads.submit(() -> {
			while (!Thread.currentThread().isInterrupted()) {
				for (Socket socket : tricklers) {
					try {
						socket.getOutputStream().write(0);
					}
					catch (IOException ex) {
						// closed by the server
					}
				}
				trickled.incrementAndGet();
				Thread.sleep(300);
			}
			return null;
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> limited.limiter().active() == 2 && trickled.get() >= 2);

		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		ManagedChannel channel = channel(client, guarded.getPort());
		ListenableFuture<byte[]> call = ClientCalls.futureUnaryCall(
				channel.newCall(EchoService.ECHO,
						CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS)),
				new byte[] { 3 });

		// Liveness bound, not a timing threshold: two deadlines (queue, then handshake)
		// are 4 s; without a deadline they would trickle on for grpc's 120 s.
		await().atMost(Duration.ofSeconds(20)).until(() -> closedByServer.stream().allMatch(Future::isDone));
		assertThat(call.get(30, TimeUnit.SECONDS)).containsExactly(3);
		await().atMost(Duration.ofSeconds(10)).until(() -> limited.limiter().active() == 0);
		healthy.assertUntouched();
	}

	/**
	 * A handshake queued for a permit reads once (the read that brought its first bytes)
	 * and stops: the flood behind it stays in the kernel. The server's own count of the
	 * bytes its connections read shows it, whatever the kernel's buffers hold.
	 */
	@ParameterizedTest
	@EnumSource(ReadPath.class)
	void aQueuedHandshakeLeavesThePeersBytesInTheKernel(ReadPath readPath) throws Exception {
		AltsNegotiator limited = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats)
			.withHandshakeTimeout(Duration.ofSeconds(30))
			.withMaxConcurrentHandshakes(1));
		// Counts every byte the server's connections read from their sockets.
		ReadPathStats serverReads = new ReadPathStats("queued-handshake");
		Server guarded = this.rig
			.startServer((readPath == ReadPath.READY) ? ReadyReadNegotiators.secured(limited, serverReads, LARGEST_READ)
					: ReadyReadNegotiators.counted(limited, serverReads));
		Bystander healthy = openHealthyConnection(guarded.getPort());
		ExecutorService threads = Executors.newCachedThreadPool();
		this.closeables.add(threads::shutdownNow);
		// Holds the only permit: a handshake message announced and never finished.
		Socket holder = new Socket(InetAddress.getLoopbackAddress(), guarded.getPort());
		this.closeables.add(holder);
		holder.getOutputStream().write(new byte[] { 0, 0, 0x10, 0 });
		await().atMost(Duration.ofSeconds(10)).until(() -> limited.limiter().active() == 1);
		// The holder's bytes were read before its handshake asked for the permit.
		long readBeforeFlood = serverReads.bytesRead();

		// Queued behind it, a peer sends 16 MiB: more than the 1 MiB a handshake may
		// hold, if it were read.
		Socket flooder = new Socket(InetAddress.getLoopbackAddress(), guarded.getPort());
		this.closeables.add(flooder);
		AtomicLong written = new AtomicLong();
		Future<?> flood = threads.submit(() -> {
			byte[] chunk = new byte[64 * 1024];
			java.util.Arrays.fill(chunk, (byte) 0x7F);
			for (int i = 0; i < 256; i++) {
				flooder.getOutputStream().write(chunk);
				written.addAndGet(chunk.length);
			}
			return null;
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> limited.limiter().queued() == 1);
		long[] last = { -1 };
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
			long now = written.get();
			boolean stalled = now == last[0];
			last[0] = now;
			return stalled || flood.isDone();
		});
		if (flood.isDone()) {
			// The server did not fail the connection (as it would after reading 1 MiB).
			flood.get();
		}
		// The flooder's bytes on the server's side: the one read that queued its
		// handshake, never more than a read takes. A server that went on reading into
		// the heap (up to the 1 MiB it may hold, say) shows here, while the kernel's
		// buffers alone could hide it from the writer.
		long flooderRead = serverReads.bytesRead() - readBeforeFlood;
		assertThat(flooderRead).as("bytes the server read from the queued peer (written: " + written.get() + ")")
			.isPositive()
			.isLessThanOrEqualTo(LARGEST_READ);
		// Which shows something only if the peer wrote more than that.
		assertThat(written.get()).as("bytes the queued peer wrote before its flood stalled or ended")
			.isGreaterThan(LARGEST_READ);
		assertThat(limited.limiter().queued()).isEqualTo(1);

		// Once the permit is free, the handshaker sees the flood's first bytes and
		// rejects them.
		holder.close();
		flooder.setSoTimeout(10_000);
		await().atMost(Duration.ofSeconds(10)).until(() -> isClosedByServer(flooder));
		assertThat(limited.limiter().active()).isZero();
		healthy.assertUntouched();
	}

	private static boolean isClosedByServer(Socket socket) {
		try {
			byte[] buffer = new byte[4096];
			while (true) {
				if (socket.getInputStream().read(buffer) < 0) {
					return true;
				}
			}
		}
		catch (IOException ex) {
			return !(ex instanceof java.net.SocketTimeoutException);
		}
	}

	private void assertCallFails(io.grpc.Channel handshakerChannel, Duration timeout, String description) {
		AltsNegotiator client = AltsNegotiator
			.client(AltsSettings.of(handshakerChannel, this.stats).withHandshakeTimeout(timeout));
		ManagedChannel channel = channel(client);
		assertThatExceptionOfType(StatusRuntimeException.class)
			.isThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
					CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[1]))
			.satisfies((ex) -> {
				assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
				assertThat(ex.getStatus().getDescription()).startsWith(description);
			});
		assertThat(client.limiter().active()).isZero();
	}

	/** A connection to the rig's server, opened before a fault. */
	private Bystander openHealthyConnection() {
		return openHealthyConnection(this.rig.port());
	}

	/**
	 * A connection to {@code port}, opened before a fault, with a client of its own (its
	 * own permits, the embedded handshaker).
	 */
	private Bystander openHealthyConnection(int port) {
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		return Bystander.on(this.rig, channel(client, port));
	}

	/** A connection made after the fault works too: the server still handshakes. */
	private void assertNewConnectionWorks() {
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		ManagedChannel channel = channel(client);
		assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 42 }))
			.containsExactly(42);
	}

	private ManagedChannel channel(AltsNegotiator negotiator) {
		return channel(negotiator, this.rig.port());
	}

	private ManagedChannel channel(AltsNegotiator negotiator, int port) {
		return this.rig.channel(port, negotiator);
	}

	private io.grpc.Channel handshakerChannel(HandshakerServiceGrpc.HandshakerServiceImplBase service)
			throws IOException {
		String name = "test-handshaker-" + UUID.randomUUID();
		Server fake = InProcessServerBuilder.forName(name).addService(service).build().start();
		ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
		this.closeables.add(() -> {
			channel.shutdownNow();
			fake.shutdownNow();
		});
		return channel;
	}

	private static final class Requests implements StreamObserver<HandshakerReq> {

		private final java.util.function.Consumer<HandshakerReq> onRequest;

		Requests(java.util.function.Consumer<HandshakerReq> onRequest) {
			this.onRequest = onRequest;
		}

		@Override
		public void onNext(HandshakerReq value) {
			this.onRequest.accept(value);
		}

		@Override
		public void onError(Throwable t) {
		}

		@Override
		public void onCompleted() {
		}

	}

}
