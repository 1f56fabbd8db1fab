package io.github.readyread.grpc.alts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.readyread.grpc.transport.ReadPathStats;
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
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Handshake concurrency and failures: every failure ends the connection with a precise
 * status, releases everything, and leaves the server serving healthy connections.
 */
class AltsHandshakeTests {

	private final PooledByteBufAllocator alloc = new PooledByteBufAllocator(true);

	private final ReadPathStats stats = new ReadPathStats("test");

	private AltsTestSupport.Loops loops;

	private EmbeddedHandshaker handshaker;

	private AltsNegotiator serverNegotiator;

	private Server server;

	private final List<ManagedChannel> channels = new ArrayList<>();

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@BeforeEach
	void startServer() throws IOException {
		this.loops = AltsTestSupport.Loops.best();
		this.handshaker = EmbeddedHandshaker.start("test@test");
		this.serverNegotiator = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats));
		this.server = AltsTestSupport.ourServer(this.loops, this.alloc, this.serverNegotiator, AltsTestSupport.peers());
	}

	@AfterEach
	void nothingLeftBehind() throws Exception {
		for (ManagedChannel channel : this.channels) {
			AltsTestSupport.shutdown(channel);
		}
		AltsTestSupport.shutdown(this.server);
		for (AutoCloseable closeable : this.closeables) {
			closeable.close();
		}
		this.handshaker.close();
		assertThat(this.serverNegotiator.limiter().active()).isZero();
		assertThat(this.serverNegotiator.limiter().queued()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
		this.loops.trimCaches(this.alloc);
		assertThat(this.alloc.pinnedDirectMemory()).isZero();
		this.loops.close();
	}

	@Test
	void eightyConnectionsToItselfAtOnceAllSucceedWithSeparateClientAndServerLimits() throws Exception {
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		List<ListenableFuture<byte[]>> calls = new ArrayList<>();
		for (int i = 0; i < 80; i++) {
			ManagedChannel channel = channel(client);
			calls.add(ClientCalls.futureUnaryCall(
					channel.newCall(AltsTestSupport.UNARY, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
					new byte[] { (byte) i }));
		}
		for (int i = 0; i < calls.size(); i++) {
			assertThat(calls.get(i).get(40, TimeUnit.SECONDS)).containsExactly((byte) i);
		}
		assertThat(client.limiter().maxConcurrent()).isEqualTo(32);
		assertThat(this.serverNegotiator.limiter().maxConcurrent()).isEqualTo(32);
		assertThat(client.limiter().peakActive()).isLessThanOrEqualTo(32);
		assertThat(this.serverNegotiator.limiter().peakActive()).isLessThanOrEqualTo(32);
		assertThat(client.limiter().active()).isZero();
		assertThat(client.limiter().queued()).isZero();
	}

	@Test
	void handshakerErrorStatusFailsTheConnectionWithItsDetails() throws Exception {
		io.grpc.Channel failing = handshakerChannel(new HandshakerServiceGrpc.HandshakerServiceImplBase() {
			@Override
			public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> responses) {
				return new Requests((request) -> responses.onNext(HandshakerResp.newBuilder()
					.setStatus(HandshakerStatus.newBuilder().setCode(7).setDetails("denied by test"))
					.build()));
			}
		});
		assertCallFails(failing, Duration.ofSeconds(10), "ALTS handshaker service error: code 7: denied by test");
		assertHealthyConnectionWorks();
	}

	@Test
	void unreachableHandshakerFailsTheConnection() throws Exception {
		ManagedChannel nowhere = InProcessChannelBuilder.forName("no-such-handshaker-" + UUID.randomUUID()).build();
		this.channels.add(nowhere);
		assertCallFails(nowhere, Duration.ofSeconds(10), "ALTS handshaker service failed: UNAVAILABLE");
		assertHealthyConnectionWorks();
	}

	@Test
	void slowHandshakerTimesTheHandshakeOut() throws Exception {
		io.grpc.Channel silent = handshakerChannel(new HandshakerServiceGrpc.HandshakerServiceImplBase() {
			@Override
			public StreamObserver<HandshakerReq> doHandshake(StreamObserver<HandshakerResp> responses) {
				return new Requests((request) -> {
				});
			}
		});
		assertCallFails(silent, Duration.ofMillis(300),
				"ALTS handshake timed out after 300 ms without progress (waiting for the handshaker service)");
		assertHealthyConnectionWorks();
	}

	@Test
	void peerClosingDuringTheHandshakeFailsTheConnection() throws Exception {
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
			ManagedChannel channel = AltsTestSupport.ourChannel(this.loops, this.alloc, client, closer.getLocalPort());
			this.channels.add(channel);
			assertThatExceptionOfType(StatusRuntimeException.class)
				.isThrownBy(() -> ClientCalls.blockingUnaryCall(channel, AltsTestSupport.UNARY,
						CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[1]))
				.satisfies((ex) -> {
					assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
					assertThat(ex.getStatus().getDescription())
						.startsWith("ALTS handshake failed: connection closed by the peer");
				});
			acceptor.join(5000);
			assertThat(client.limiter().active()).isZero();
		}
		assertHealthyConnectionWorks();
	}

	@Test
	void clientThatNeverSpeaksIsTimedOutByTheServerAndFreesItsSlot() throws Exception {
		AltsNegotiator quickServer = AltsNegotiator.server(AltsSettings.of(this.handshaker.channel(), this.stats)
			.withHandshakeTimeout(Duration.ofMillis(300))
			.withMaxConcurrentHandshakes(1));
		Server timing = AltsTestSupport.ourServer(this.loops, this.alloc, quickServer, AltsTestSupport.peers());
		this.closeables.add(() -> AltsTestSupport.shutdown(timing));
		try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), AltsTestSupport.port(timing))) {
			silent.setSoTimeout(5000);
			// The server closes the connection once its handshake times out.
			assertThat(silent.getInputStream().read()).isEqualTo(-1);
		}
		assertThat(quickServer.limiter().active()).isZero();
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		ManagedChannel channel = channel(client, AltsTestSupport.port(timing));
		assertThat(ClientCalls.blockingUnaryCall(channel, AltsTestSupport.UNARY,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 5 }))
			.containsExactly(5);
	}

	private void assertCallFails(io.grpc.Channel handshakerChannel, Duration timeout, String description) {
		AltsNegotiator client = AltsNegotiator
			.client(AltsSettings.of(handshakerChannel, this.stats).withHandshakeTimeout(timeout));
		ManagedChannel channel = channel(client);
		assertThatExceptionOfType(StatusRuntimeException.class).isThrownBy(() -> ClientCalls.blockingUnaryCall(channel,
				AltsTestSupport.UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[1]))
			.satisfies((ex) -> {
				assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
				assertThat(ex.getStatus().getDescription()).startsWith(description);
			});
		assertThat(client.limiter().active()).isZero();
	}

	private void assertHealthyConnectionWorks() {
		AltsNegotiator client = AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), this.stats));
		ManagedChannel channel = channel(client);
		assertThat(ClientCalls.blockingUnaryCall(channel, AltsTestSupport.UNARY,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 42 }))
			.containsExactly(42);
	}

	private ManagedChannel channel(AltsNegotiator negotiator) {
		return channel(negotiator, AltsTestSupport.port(this.server));
	}

	private ManagedChannel channel(AltsNegotiator negotiator, int port) {
		ManagedChannel channel = AltsTestSupport.ourChannel(this.loops, this.alloc, negotiator, port);
		this.channels.add(channel);
		return channel;
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
