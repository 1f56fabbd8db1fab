package io.github.readyread.grpc.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
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
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

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

	final boolean epoll;

	final ReadPath readPath;

	final boolean lowWaterMark;

	final ReadSizing sizing;

	final PooledByteBufAllocator serverPool = newPool();

	final PooledByteBufAllocator clientPool = newPool();

	final ReadPathStats serverStats = new ReadPathStats("server");

	final ReadPathStats clientStats = new ReadPathStats("client");

	private final EventLoopGroup boss;

	private final EventLoopGroup workers;

	private final EventLoopGroup clients;

	private final Server server;

	private final List<ManagedChannel> channels = new ArrayList<>();

	GrpcSocketRig(boolean epoll, ReadPath readPath, boolean lowWaterMark) throws IOException {
		this(epoll, readPath, ReadSizing.ADAPTIVE, lowWaterMark);
	}

	GrpcSocketRig(boolean epoll, ReadPath readPath, ReadSizing sizing, boolean lowWaterMark) throws IOException {
		this.epoll = epoll;
		this.readPath = readPath;
		this.sizing = sizing;
		this.lowWaterMark = lowWaterMark;
		IoHandlerFactory handlers = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
		this.boss = new MultiThreadIoEventLoopGroup(1, handlers);
		this.workers = new MultiThreadIoEventLoopGroup(2, handlers);
		this.clients = new MultiThreadIoEventLoopGroup(2, handlers);
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.bossEventLoopGroup(this.boss)
			.workerEventLoopGroup(this.workers)
			.channelType(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
			.withOption(ChannelOption.ALLOCATOR, this.serverPool)
			.withChildOption(ChannelOption.ALLOCATOR, this.serverPool)
			.maxInboundMessageSize(MAX_MESSAGE)
			.directExecutor()
			.addService(service());
		GrpcNettyBridge.install(builder, ReadyReadNegotiators.plaintext(true, readPath, this.serverStats,
				ReadyReadChannels.DEFAULT_MAX_READ_SIZE, sizing, lowWaterMark), false);
		this.server = builder.build().start();
	}

	int port() {
		return this.server.getPort();
	}

	ManagedChannel channel() {
		return channel(port());
	}

	ManagedChannel channel(int port) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
			.eventLoopGroup(this.clients)
			.channelType(this.epoll ? EpollSocketChannel.class : NioSocketChannel.class)
			.withOption(ChannelOption.ALLOCATOR, this.clientPool)
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
		this.clients.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
		this.workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
		this.boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
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
