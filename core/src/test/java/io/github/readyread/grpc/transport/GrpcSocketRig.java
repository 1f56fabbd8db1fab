package io.github.readyread.grpc.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.zip.CRC32;

import io.github.readyread.grpc.ByteArrayMarshaller;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.epoll.Epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A gRPC server and its client channels on real sockets on 127.0.0.1, each side with a
 * pool of its own so pinned bytes can be told apart.
 */
final class GrpcSocketRig implements AutoCloseable {

	static final int MAX_MESSAGE = 16 * 1024 * 1024;

	static final MethodDescriptor<byte[], byte[]> ECHO = method(MethodDescriptor.MethodType.UNARY, "Echo");

	/**
	 * Request: count (int), size (int), seed (long) and optionally the size of a warm-up
	 * message sent first (int); response: the messages.
	 */
	static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method(MethodDescriptor.MethodType.SERVER_STREAMING,
			"Download");

	/** Response: CRC32 (long) and length (long) of every byte received. */
	static final MethodDescriptor<byte[], byte[]> UPLOAD = method(MethodDescriptor.MethodType.CLIENT_STREAMING,
			"Upload");

	final TransportType transport;

	final ReadPath readPath;

	final boolean lowWaterMark;

	final ReadSizing sizing;

	final PooledByteBufAllocator serverPool = newPool();

	final PooledByteBufAllocator clientPool = newPool();

	final ReadPathStats serverStats = new ReadPathStats("server");

	final ReadPathStats clientStats = new ReadPathStats("client");

	/** The client side's io_uring read buffer ring, on the client pool, or null. */
	final ReadBufferRing clientRing;

	/** The server side's io_uring read buffer ring, on the server pool, or null. */
	final ReadBufferRing serverRing;

	private final NettyTransport serverLoops;

	private final NettyTransport clientLoops;

	private final Server server;

	private final List<ManagedChannel> channels = new ArrayList<>();

	GrpcSocketRig(boolean epoll, ReadPath readPath, boolean lowWaterMark) throws IOException {
		this(epoll ? TransportType.EPOLL : TransportType.NIO, readPath, lowWaterMark);
	}

	GrpcSocketRig(TransportType transport, ReadPath readPath, boolean lowWaterMark) throws IOException {
		this(transport, readPath, ReadSizing.ADAPTIVE, lowWaterMark);
	}

	GrpcSocketRig(TransportType transport, ReadPath readPath, ReadSizing sizing, boolean lowWaterMark)
			throws IOException {
		this(transport, readPath, sizing, lowWaterMark, ReadBufferRing.DEFAULT_ENTRIES,
				ReadBufferRing.DEFAULT_BUFFER_SIZE);
	}

	GrpcSocketRig(TransportType transport, ReadPath readPath, boolean lowWaterMark, int ringEntries, int ringBufferSize)
			throws IOException {
		this(transport, readPath, ReadSizing.ADAPTIVE, lowWaterMark, ringEntries, ringBufferSize);
	}

	/**
	 * A rig on {@code transport} with {@code sizing} reads (each side's event loops on
	 * the real selection, io_uring rings of {@code ringEntries} x {@code ringBufferSize}
	 * on each side's pool).
	 */
	GrpcSocketRig(TransportType transport, ReadPath readPath, ReadSizing sizing, boolean lowWaterMark, int ringEntries,
			int ringBufferSize) throws IOException {
		this.transport = transport;
		this.readPath = readPath;
		this.sizing = sizing;
		this.lowWaterMark = lowWaterMark;
		boolean ioUring = transport == TransportType.IO_URING;
		this.serverRing = ioUring ? new ReadBufferRing(this.serverPool, ringEntries, ringBufferSize) : null;
		this.clientRing = ioUring ? new ReadBufferRing(this.clientPool, ringEntries, ringBufferSize) : null;
		this.serverLoops = NettyTransport.select(transport, 2, Duration.ZERO, Duration.ofSeconds(5), this.serverRing);
		this.clientLoops = NettyTransport.select(transport, 2, Duration.ZERO, Duration.ofSeconds(5), this.clientRing);
		assertThat(this.serverLoops.type()).as("transport").isEqualTo(transport);
		NettyServerBuilder builder = this.serverLoops
			.configure(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), this.serverPool)
			.maxInboundMessageSize(MAX_MESSAGE)
			.directExecutor()
			.addService(service());
		GrpcNettyBridge.install(builder, ReadyReadNegotiators.plaintext(true, readPath, this.serverStats,
				ReadyReadChannels.DEFAULT_MAX_READ_SIZE, sizing, lowWaterMark), false);
		this.server = builder.build().start();
	}

	/** Whether the transport is a native one, with kernel-side waiting. */
	boolean isNative() {
		return this.transport != TransportType.NIO;
	}

	/** Pool bytes the client side's read buffer rings hold, 0 without rings. */
	long clientRingBytes() {
		return (this.clientRing != null) ? this.clientRing.bytesInRings() : 0;
	}

	/** Client pool bytes pinned outside its read buffer rings (all without rings). */
	long clientPinnedOutsideRings() {
		return this.clientPool.pinnedDirectMemory() - clientRingBytes();
	}

	/** Server pool bytes pinned outside its read buffer rings (all without rings). */
	long serverPinnedOutsideRings() {
		return this.serverPool.pinnedDirectMemory() - ((this.serverRing != null) ? this.serverRing.bytesInRings() : 0);
	}

	int port() {
		return this.server.getPort();
	}

	ManagedChannel channel() {
		return channel(port());
	}

	ManagedChannel channel(int port) {
		NettyChannelBuilder builder = this.clientLoops
			.configure(NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)), this.clientPool)
			.maxInboundMessageSize(MAX_MESSAGE)
			.directExecutor();
		GrpcNettyBridge.install(builder, ReadyReadNegotiators.plaintext(false, this.readPath, this.clientStats,
				ReadyReadChannels.DEFAULT_MAX_READ_SIZE, this.sizing, this.lowWaterMark), false);
		ManagedChannel channel = builder.build();
		this.channels.add(channel);
		return channel;
	}

	/** Stops the server at once, with whatever streams are in flight. */
	void shutdownServerNow() throws InterruptedException {
		this.server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
	}

	/** Shuts every channel down and waits for it. */
	void shutdownChannels() throws InterruptedException {
		for (ManagedChannel channel : this.channels) {
			channel.shutdownNow();
		}
		for (ManagedChannel channel : this.channels) {
			channel.awaitTermination(10, TimeUnit.SECONDS);
		}
		this.channels.clear();
	}

	/** Shuts channels, server and event loops down and waits for them; idempotent. */
	@Override
	public void close() throws InterruptedException {
		shutdownChannels();
		this.server.shutdownNow();
		this.server.awaitTermination(10, TimeUnit.SECONDS);
		this.clientLoops.close();
		this.serverLoops.close();
	}

	/** Waits (at most {@code seconds}) until {@code condition} holds; returns it. */
	static boolean await(BooleanSupplier condition, int seconds) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(20);
		}
		return true;
	}

	/**
	 * Waits until {@code condition} holds and {@code activity} (a count of reads, pinned
	 * bytes, say) has not moved for {@code quietMillis} with the condition holding
	 * throughout: late control frames (a BDP ping's ack after the last reply, say) are
	 * read by then, so what is measured next is the connections at rest, not one instant
	 * between two reads. False if that does not happen within {@code seconds}.
	 */
	static boolean awaitQuiet(BooleanSupplier condition, LongSupplier activity, int quietMillis, int seconds)
			throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
		int pollMillis = 20;
		long last = Long.MIN_VALUE;
		int quietPolls = 0;
		while (quietPolls * pollMillis < quietMillis) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(pollMillis);
			long now = activity.getAsLong();
			quietPolls = (now == last && condition.getAsBoolean()) ? quietPolls + 1 : 0;
			last = now;
		}
		return true;
	}

	/**
	 * Closes the rig (event loops included, so nothing allocates any more), then checks
	 * that neither pool has a byte pinned.
	 */
	void closeAndAssertPoolsEmpty() throws InterruptedException {
		close();
		assertThat(this.clientPool.pinnedDirectMemory()).as("client pool pinned after close").isZero();
		assertThat(this.serverPool.pinnedDirectMemory()).as("server pool pinned after close").isZero();
		if (this.clientRing != null) {
			assertThat(this.clientRing.bytesInRings()).as("client rings' bytes after close").isZero();
			assertThat(this.serverRing.bytesInRings()).as("server rings' bytes after close").isZero();
		}
	}

	/** Skips the test where {@code transport} cannot run. */
	static void assumeAvailable(TransportType transport) {
		if (transport == TransportType.EPOLL) {
			assumeTrue(Epoll.isAvailable(), "native epoll unavailable");
		}
		if (transport == TransportType.IO_URING) {
			assumeTrue(IoUringSupport.unavailabilityCause() == null, "io_uring with buffer rings unavailable");
		}
	}

	static byte[] content(long seed, int size) {
		byte[] bytes = new byte[size];
		new Random(seed).nextBytes(bytes);
		return bytes;
	}

	static byte[] downloadRequest(int count, int size, long seed) {
		return ByteBuffer.allocate(16).putInt(count).putInt(size).putLong(seed).array();
	}

	static byte[] downloadRequest(int warmUpSize, int count, int size, long seed) {
		return ByteBuffer.allocate(20).putInt(count).putInt(size).putLong(seed).putInt(warmUpSize).array();
	}

	static long crc(byte[]... parts) {
		CRC32 crc = new CRC32();
		for (byte[] part : parts) {
			crc.update(part);
		}
		return crc.getValue();
	}

	private static PooledByteBufAllocator newPool() {
		// No thread caches: pinned bytes are exactly what live buffers hold.
		return new PooledByteBufAllocator(true, 2, 2, 8192, 9, 0, 0, false, 0);
	}

	static ServerServiceDefinition service() {
		return ServerServiceDefinition.builder("readyread.Test")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall((request, response) -> {
				ByteBuffer spec = ByteBuffer.wrap(request);
				int count = spec.getInt();
				int size = spec.getInt();
				long seed = spec.getLong();
				if (spec.hasRemaining()) {
					response.onNext(content(-1, spec.getInt()));
				}
				for (int i = 0; i < count; i++) {
					response.onNext(content(seed + i, size));
				}
				response.onCompleted();
			}))
			.addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall((response) -> new StreamObserver<byte[]>() {

				private final CRC32 crc = new CRC32();

				private long length;

				@Override
				public void onNext(byte[] value) {
					this.crc.update(value);
					this.length += value.length;
				}

				@Override
				public void onError(Throwable error) {
				}

				@Override
				public void onCompleted() {
					response.onNext(ByteBuffer.allocate(16).putLong(this.crc.getValue()).putLong(this.length).array());
					response.onCompleted();
				}

			}))
			.build();
	}

	private static MethodDescriptor<byte[], byte[]> method(MethodDescriptor.MethodType type, String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(type)
			.setFullMethodName(MethodDescriptor.generateFullMethodName("readyread.Test", name))
			.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
			.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
			.build();
	}

}
