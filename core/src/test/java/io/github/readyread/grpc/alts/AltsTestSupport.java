package io.github.readyread.grpc.alts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.ByteArrayMarshaller;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.util.concurrent.EventExecutor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Echo service, event loops and builders shared by the ALTS end-to-end tests.
 */
final class AltsTestSupport {

	static final int MAX_MESSAGE = 16 * 1024 * 1024;

	static final MethodDescriptor<byte[], byte[]> UNARY = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.UNARY)
		.setFullMethodName("test.Echo/Unary")
		.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
		.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
		.build();

	static final MethodDescriptor<byte[], byte[]> BIDI = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.BIDI_STREAMING)
		.setFullMethodName("test.Echo/Bidi")
		.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
		.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
		.build();

	static final int[] SIZES = { 0, 1, 16383, 16384, 16385, 1024 * 1024, 8 * 1024 * 1024 };

	private AltsTestSupport() {
	}

	/** Echo service that records the ALTS peer of every call it serves. */
	static ServerServiceDefinition echoService(Queue<AltsPeer> peers) {
		ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
			.addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(BIDI, ServerCalls.asyncBidiStreamingCall((response) -> new StreamObserver<byte[]>() {
				@Override
				public void onNext(byte[] value) {
					response.onNext(value);
				}

				@Override
				public void onError(Throwable t) {
				}

				@Override
				public void onCompleted() {
					response.onCompleted();
				}
			}))
			.build();
		return ServerInterceptors.intercept(echo, new ServerInterceptor() {
			@Override
			public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
					ServerCallHandler<Q, R> next) {
				AltsPeer peer = AltsPeer.fromCall(call);
				if (peer != null) {
					peers.add(peer);
				}
				return next.startCall(call, headers);
			}
		});
	}

	static Server ourServer(Loops loops, PooledByteBufAllocator alloc, GrpcNettyBridge.Negotiator negotiator,
			Queue<AltsPeer> peers) throws IOException {
		NettyServerBuilder builder = loops.transport()
			.configure(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), alloc)
			.maxInboundMessageSize(MAX_MESSAGE)
			.addService(echoService(peers));
		GrpcNettyBridge.install(builder, negotiator, true);
		return builder.build().start();
	}

	static ManagedChannel ourChannel(Loops loops, PooledByteBufAllocator alloc, GrpcNettyBridge.Negotiator negotiator,
			int port) {
		NettyChannelBuilder builder = loops.transport()
			.configure(NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)), alloc)
			.maxInboundMessageSize(MAX_MESSAGE);
		GrpcNettyBridge.install(builder, negotiator, true);
		return builder.build();
	}

	static int port(Server server) {
		return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
	}

	static byte[] message(int size, int seed) {
		byte[] bytes = new byte[size];
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (i * 31 + seed);
		}
		return bytes;
	}

	/** Unary echo of every size, then a bidi stream of every size; asserts the echoes. */
	static void echoEverySize(io.grpc.Channel channel) throws Exception {
		for (int size : SIZES) {
			byte[] request = message(size, size);
			byte[] response = ClientCalls.blockingUnaryCall(channel, UNARY,
					CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
			assertThat(response).as("unary echo of %d bytes", size).isEqualTo(request);
		}
		bidiEcho(channel, SIZES);
	}

	static void bidiEcho(io.grpc.Channel channel, int[] sizes) throws Exception {
		List<byte[]> received = new ArrayList<>();
		java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
		ClientCall<byte[], byte[]> call = channel.newCall(BIDI,
				CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
		StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
			@Override
			public void onNext(byte[] value) {
				synchronized (received) {
					received.add(value);
				}
			}

			@Override
			public void onError(Throwable t) {
				done.completeExceptionally(t);
			}

			@Override
			public void onCompleted() {
				done.complete(null);
			}
		});
		for (int size : sizes) {
			requests.onNext(message(size, size + 1));
		}
		requests.onCompleted();
		done.get(60, TimeUnit.SECONDS);
		assertThat(received).hasSize(sizes.length);
		for (int i = 0; i < sizes.length; i++) {
			assertThat(received.get(i)).as("bidi echo of %d bytes", sizes[i])
				.isEqualTo(message(sizes[i], sizes[i] + 1));
		}
	}

	static Queue<AltsPeer> peers() {
		return new ConcurrentLinkedQueue<>();
	}

	static void shutdown(ManagedChannel channel) throws InterruptedException {
		if (channel != null) {
			channel.shutdownNow();
			channel.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	static void shutdown(Server server) throws InterruptedException {
		if (server != null) {
			server.shutdownNow();
			server.awaitTermination(10, TimeUnit.SECONDS);
		}
	}

	/**
	 * Transport of a test: epoll, io_uring or NIO event loops (the real selection), with
	 * the channel types and options.
	 */
	record Loops(String name, NettyTransport transport) implements AutoCloseable {

		static Loops of(String name) {
			TransportType type = TransportType.valueOf(name.toUpperCase(Locale.ROOT));
			if (type == TransportType.IO_URING) {
				assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(), "io_uring unavailable");
			}
			NettyTransport transport = NettyTransport.select(type, 4, Duration.ZERO, Duration.ofSeconds(5));
			return new Loops(name, transport);
		}

		/** Epoll when available, else NIO. */
		static Loops best() {
			return of(Epoll.isAvailable() ? "epoll" : "nio");
		}

		EventLoopGroup boss() {
			return this.transport.bossGroup();
		}

		EventLoopGroup workers() {
			return this.transport.workerGroup();
		}

		/** Trims every event loop thread's buffer cache. */
		void trimCaches(PooledByteBufAllocator alloc) throws Exception {
			for (EventLoopGroup group : List.of(boss(), workers())) {
				for (EventExecutor executor : group) {
					executor.submit(alloc::trimCurrentThreadCache).get(5, TimeUnit.SECONDS);
				}
			}
		}

		@Override
		public void close() {
			this.transport.close();
		}

	}

}
