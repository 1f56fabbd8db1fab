package io.github.readyread.grpc.readpath;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Soak: thousands of concurrent ALTS connections on the ready read path streaming both
 * ways, every message checked at its receiver (connection, sequence number and CRC of a
 * pattern derived from both), pinned pool bytes sampled throughout and bounded, and both
 * pools back to 0 afterwards.
 *
 * <p>
 * {@code -Dsoak.connections} (default 2000) and {@code -Dsoak.seconds} (default 60) set
 * the size; {@code docs/RELIABILITY.md} has a longer run.
 */
@Tag("long")
class AltsSoakTests {

	private static final int CONNECTIONS = Integer.getInteger("soak.connections", 2000);

	private static final int SECONDS = Integer.getInteger("soak.seconds", 60);

	/** Largest message; each connection has at most one in flight each way. */
	private static final int MAX_MESSAGE = 32 * 1024;

	private static final int HEADER = 16;

	private final AtomicLong bytesChecked = new AtomicLong();

	private final AtomicLong messagesChecked = new AtomicLong();

	private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

	@Test
	void thousandsOfAltsConnectionsStreamEveryByteIntactWithBoundedPinnedMemory() throws Exception {
		String transport = Epoll.isAvailable() ? "epoll" : "nio";
		try (EmbeddedHandshaker handshaker = EmbeddedHandshaker.start("soak@test.invalid");
				SocketRig rig = SocketRig.on(transport)
					.ring(8, 32 * 1024)
					.wiring(SocketRig.Wiring.TRANSPORT)
					.security(SocketRig.Security.alts(handshaker.channel()))
					.service(service())
					.start()) {
			SocketRig.Side client = rig.client;
			SocketRig.Side server = rig.server;
			CountDownLatch closed = new CountDownLatch(CONNECTIONS);
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
			long[] maxPinned = { 0 };
			try {
				// Connections open as a connection pool would open them: at most 64
				// handshakes at a time.
				Semaphore opening = new Semaphore(64);
				for (int id = 0; id < CONNECTIONS; id++) {
					ManagedChannel channel = rig.channel();
					opening.acquire();
					pingPong(channel, id, deadline, closed, opening);
				}
				// Every connection holds at most one message each way (plus framing), and
				// its read path at most one incomplete record and HTTP/2 frame.
				long bound = (long) CONNECTIONS * 4 * (MAX_MESSAGE + 1024);
				// Until every stream has closed, at most a minute after the soak's end.
				await("every connection's stream closed, less than a minute after the soak's end")
					.atMost(Duration.ofNanos(deadline + TimeUnit.SECONDS.toNanos(60) - System.nanoTime()))
					.pollInterval(Duration.ofMillis(500))
					.until(() -> {
						long pinned = client.pinnedBytes() + server.pinnedBytes();
						maxPinned[0] = Math.max(maxPinned[0], pinned);
						assertThat(pinned).as("pinned bytes of both pools during the soak").isLessThanOrEqualTo(bound);
						return closed.getCount() == 0;
					});
				assertThat(this.problems).isEmpty();
				assertThat(client.stats.connections()).isEqualTo(CONNECTIONS);
			}
			finally {
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			System.out.printf(
					"[soak] %d ALTS connections on %s for %d s: %d messages, %d bytes checked; max pinned %d B (%d B/conn)%n",
					CONNECTIONS, transport, SECONDS, this.messagesChecked.get(), this.bytesChecked.get(), maxPinned[0],
					maxPinned[0] / CONNECTIONS);
			assertThat(this.messagesChecked.get()).isGreaterThan(2L * CONNECTIONS);
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				assertThat(client.pinnedBytes()).as("client pool after close").isZero();
				assertThat(server.pinnedBytes()).as("server pool after close").isZero();
			});
		}
	}

	private ClientCall<byte[], byte[]> pingPong(ManagedChannel channel, int id, long deadline, CountDownLatch closed,
			Semaphore opening) {
		ClientCall<byte[], byte[]> call = channel.newCall(EchoService.BIDI, CallOptions.DEFAULT);
		int[] sent = { 0 };
		boolean[] opened = { false };
		call.start(new ClientCall.Listener<>() {
			@Override
			public void onMessage(byte[] echo) {
				if (!opened[0]) {
					opened[0] = true;
					opening.release();
				}
				check(echo, id, sent[0] - 1, "client");
				if (System.nanoTime() < deadline) {
					call.sendMessage(message(id, sent[0]++));
				}
				else {
					call.halfClose();
				}
				call.request(1);
			}

			@Override
			public void onClose(Status status, Metadata trailers) {
				if (!opened[0]) {
					opened[0] = true;
					opening.release();
				}
				if (!status.isOk()) {
					AltsSoakTests.this.problems.add("connection " + id + " closed with " + status);
				}
				closed.countDown();
			}
		}, new Metadata());
		call.request(1);
		call.sendMessage(message(id, sent[0]++));
		return call;
	}

	/** The echo service, checking every message its server receives before echoing it. */
	private ServerServiceDefinition service() {
		return ServerInterceptors.intercept(new EchoService(), new ServerInterceptor() {
			@Override
			public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
					ServerCallHandler<Q, R> next) {
				int[] expected = { 0 };
				return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
						next.startCall(call, headers)) {
					@Override
					public void onMessage(Q message) {
						byte[] bytes = (byte[]) message;
						check(bytes, ByteBuffer.wrap(bytes).getInt(), expected[0]++, "server");
						super.onMessage(message);
					}
				};
			}
		});
	}

	/** [id][seq][length][crc] then a pattern derived from id and seq. */
	static byte[] message(int id, int seq) {
		int length = 1 + Math.floorMod((id * 7919) ^ (seq * 104729), MAX_MESSAGE - HEADER);
		ByteBuffer buffer = ByteBuffer.allocate(HEADER + length);
		buffer.putInt(id).putInt(seq).putInt(length).putInt(0);
		for (int i = 0; i < length; i++) {
			buffer.put((byte) (id + seq * 31 + i * 7));
		}
		byte[] bytes = buffer.array();
		ByteBuffer.wrap(bytes).putInt(12, crc(bytes));
		return bytes;
	}

	private void check(byte[] message, int id, int seq, String side) {
		ByteBuffer buffer = ByteBuffer.wrap(message);
		int gotId = buffer.getInt();
		int gotSeq = buffer.getInt();
		int length = buffer.getInt();
		int crc = buffer.getInt();
		ByteBuffer.wrap(message).putInt(12, 0);
		if (gotId != id || gotSeq != seq || length != message.length - HEADER || crc != crc(message)) {
			this.problems.add(side + " got connection " + gotId + " message " + gotSeq + " (" + message.length
					+ " B) where connection " + id + " message " + seq + " was due, or its CRC is wrong");
		}
		ByteBuffer.wrap(message).putInt(12, crc);
		this.messagesChecked.incrementAndGet();
		this.bytesChecked.addAndGet(message.length);
	}

	private static int crc(byte[] bytes) {
		CRC32 crc = new CRC32();
		crc.update(bytes);
		return (int) crc.getValue();
	}

}
