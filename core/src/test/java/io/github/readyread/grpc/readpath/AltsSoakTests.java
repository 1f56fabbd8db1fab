package io.github.readyread.grpc.readpath;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

	/**
	 * The connection a call belongs to, sent in the call's headers: the server checks
	 * every message against it, not against the connection the message names.
	 */
	private static final Metadata.Key<String> CONNECTION = Metadata.Key.of("soak-connection",
			Metadata.ASCII_STRING_MARSHALLER);

	private final AtomicLong bytesChecked = new AtomicLong();

	private final AtomicLong messagesChecked = new AtomicLong();

	private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

	/** Set once every connection has opened, cleared once every stream has closed. */
	private final AtomicBoolean streaming = new AtomicBoolean();

	private final AtomicLong samplesWhileStreaming = new AtomicLong();

	private final AtomicLong maxPinnedWhileStreaming = new AtomicLong();

	private final ConcurrentLinkedQueue<String> overBound = new ConcurrentLinkedQueue<>();

	/**
	 * When connections stop sending and half-close: SECONDS after the last one opened.
	 */
	private volatile long deadline = Long.MAX_VALUE;

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
			// Pinned bytes are sampled from the first connection on, every 250 ms, and
			// must stay under the bound in every sample; the streaming phase is SECONDS
			// from the moment the last connection opened, so on a slow machine the
			// sampler still sees that long of full traffic.
			// Every connection holds at most one message each way (plus framing), and its
			// read path at most one incomplete record and HTTP/2 frame.
			long bound = (long) CONNECTIONS * 4 * (MAX_MESSAGE + 1024);
			ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
			sampler.scheduleWithFixedDelay(() -> sample(client, server, bound), 0, 250, TimeUnit.MILLISECONDS);
			long openingMillis;
			try {
				// Connections open as a connection pool would open them: at most 64
				// handshakes at a time.
				long start = System.nanoTime();
				Semaphore opening = new Semaphore(64);
				for (int id = 0; id < CONNECTIONS; id++) {
					ManagedChannel channel = rig.channel();
					opening.acquire();
					pingPong(channel, id, closed, opening);
				}
				opening.acquire(64);
				openingMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				this.streaming.set(true);
				this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
				// Until every stream has closed, at most a minute after the soak's end.
				assertThat(closed.await(SECONDS + 60, TimeUnit.SECONDS))
					.as("every connection's stream closed, less than a minute after the soak's end")
					.isTrue();
				this.streaming.set(false);
				assertThat(this.overBound).as("pinned bytes of both pools over %d B during the soak", bound).isEmpty();
				// A bound checked only once traffic had stopped would check nothing.
				assertThat(this.samplesWhileStreaming.get())
					.as("samples of pinned bytes taken while every connection streamed")
					.isGreaterThanOrEqualTo(SECONDS * 2L);
				assertThat(this.problems).isEmpty();
				assertThat(client.stats.connections()).isEqualTo(CONNECTIONS);
			}
			finally {
				sampler.shutdownNow();
				sampler.awaitTermination(10, TimeUnit.SECONDS);
				rig.shutdownChannels();
				rig.shutdownServerNow();
			}
			long maxPinned = this.maxPinnedWhileStreaming.get();
			System.out.printf(
					"[soak] %d ALTS connections on %s (opened in %d ms), then %d s of traffic: %d messages, %d bytes checked;"
							+ " %d samples while streaming, max pinned %d B (%d B/conn)%n",
					CONNECTIONS, transport, openingMillis, SECONDS, this.messagesChecked.get(), this.bytesChecked.get(),
					this.samplesWhileStreaming.get(), maxPinned, maxPinned / CONNECTIONS);
			assertThat(this.messagesChecked.get()).isGreaterThan(2L * CONNECTIONS);
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				assertThat(client.pinnedBytes()).as("client pool after close").isZero();
				assertThat(server.pinnedBytes()).as("server pool after close").isZero();
			});
		}
	}

	/**
	 * One sample of both pools' pinned bytes, run by the sampler: a sample over the bound
	 * or a failure to take one is recorded for the test thread (an exception would end
	 * the sampler silently).
	 */
	private void sample(SocketRig.Side client, SocketRig.Side server, long bound) {
		try {
			boolean whileStreaming = this.streaming.get();
			// While every connection streams, each side has live connections to check.
			long pinned = whileStreaming ? client.pinnedBytesWhileConnected() + server.pinnedBytesWhileConnected()
					: client.pinnedBytes() + server.pinnedBytes();
			if (pinned > bound) {
				this.overBound.add(pinned + " B");
			}
			if (whileStreaming && this.streaming.get()) {
				this.samplesWhileStreaming.incrementAndGet();
				this.maxPinnedWhileStreaming.accumulateAndGet(pinned, Math::max);
			}
		}
		catch (Throwable ex) {
			this.problems.add("pinned bytes sampler: " + ex);
		}
	}

	private ClientCall<byte[], byte[]> pingPong(ManagedChannel channel, int id, CountDownLatch closed,
			Semaphore opening) {
		ClientCall<byte[], byte[]> call = channel.newCall(EchoService.BIDI, CallOptions.DEFAULT);
		int[] sent = { 0 };
		boolean[] opened = { false };
		Metadata headers = new Metadata();
		headers.put(CONNECTION, Integer.toString(id));
		call.start(new ClientCall.Listener<>() {
			@Override
			public void onMessage(byte[] echo) {
				if (!opened[0]) {
					opened[0] = true;
					opening.release();
				}
				check(echo, id, sent[0] - 1, "client");
				if (System.nanoTime() < AltsSoakTests.this.deadline) {
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
		}, headers);
		call.request(1);
		call.sendMessage(message(id, sent[0]++));
		return call;
	}

	/**
	 * The echo service, checking every message its server receives before echoing it,
	 * against the connection its call's headers name.
	 */
	private ServerServiceDefinition service() {
		return ServerInterceptors.intercept(new EchoService(), new ServerInterceptor() {
			@Override
			public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
					ServerCallHandler<Q, R> next) {
				String connection = headers.get(CONNECTION);
				if (connection == null) {
					AltsSoakTests.this.problems.add("server got a call without the " + CONNECTION.name() + " header");
				}
				int id = (connection != null) ? Integer.parseInt(connection) : -1;
				int[] expected = { 0 };
				return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
						next.startCall(call, headers)) {
					@Override
					public void onMessage(Q message) {
						byte[] bytes = (byte[]) message;
						check(bytes, id, expected[0]++, "server");
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
