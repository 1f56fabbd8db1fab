package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ConnectionInstrumentation;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportSettings;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;

/**
 * Our transport on unshaded Netty: the server and the clients each get their own
 * {@link ReadyReadTransport} (event loops and pool), as two applications would.
 */
final class OurRig extends Rig {

	private static final int WORKER_THREADS = 2;

	private static final int READ_BUFFER_SIZE = 64 * 1024;

	private final Security security;

	private final String handshakerTarget;

	private final ReadyReadTransport server;

	private final ReadyReadTransport client;

	private final ReadPathRegistry clientRegistry = new ReadPathRegistry();

	OurRig(Config config, Security security, String handshakerTarget) {
		this.security = security;
		this.handshakerTarget = handshakerTarget;
		this.server = transport(config, new ReadPathRegistry());
		this.client = transport(config, this.clientRegistry);
	}

	private static ReadyReadTransport transport(Config config, ReadPathRegistry registry) {
		PoolSettings settings = PoolSettings.defaults();
		PooledBufferAllocator pool = new PooledBufferAllocator(settings);
		NettyTransport transport = NettyTransport.select(config.transport(), WORKER_THREADS, Duration.ZERO,
				Duration.ofSeconds(5), ReadBufferRing.defaults(pool.allocator()));
		if (transport.type() != config.transport()) {
			transport.close();
			throw new IllegalStateException(config.id() + " needs " + config.transport().displayName()
					+ ", unavailable here: " + transport.reason());
		}
		return new ReadyReadTransport(transport, pool,
				TransportSettings.builder().readPath(config.readPath()).readBufferSize(READ_BUFFER_SIZE).build(),
				registry);
	}

	@Override
	Server buildServer(ServerServiceDefinition service, Supplier<ChannelHandler> headHandler,
			Supplier<ChannelHandler> plaintextHandler) {
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.addService(service);
		// The transport's own configuration, with the harness's handlers: the head one
		// first
		// in each connection's pipeline, the plaintext one in front of gRPC's HTTP/2
		// handler.
		this.server.configure(
				builder, (this.security == Security.ALTS)
						? TransportSecurity.alts(OurAlts.server(this.handshakerTarget)) : TransportSecurity.plaintext(),
				new ConnectionInstrumentation(headHandler, plaintextHandler));
		CountingAllocator counting = new CountingAllocator(this.server.pool().allocator(), this.poolBytesTaken);
		builder.withOption(ChannelOption.ALLOCATOR, counting).withChildOption(ChannelOption.ALLOCATOR, counting);
		return builder.build();
	}

	@Override
	ManagedChannel buildChannel(String name, InetSocketAddress target) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress(target).usePlaintext().directExecutor();
		this.client.configure(builder, name, target.toString(), (this.security == Security.ALTS)
				? TransportSecurity.alts(OurAlts.client(this.handshakerTarget)) : TransportSecurity.plaintext());
		builder.withOption(ChannelOption.ALLOCATOR,
				new CountingAllocator(this.client.pool().allocator(), this.poolBytesTaken));
		return builder.build();
	}

	@Override
	PoolFigures clientPool() {
		return figures(this.client);
	}

	@Override
	PoolFigures serverPool() {
		return figures(this.server);
	}

	/**
	 * The pool's figures; pinned leaves out the io_uring read buffer rings, which belong
	 * to the event loops (filled lazily, after a scenario's baseline), not to
	 * connections.
	 */
	private static PoolFigures figures(ReadyReadTransport transport) {
		ReadBufferRing ring = transport.eventLoops().readBufferRing();
		long rings = (ring != null) ? ring.bytesInRings() : 0;
		return new PoolFigures(transport.pool().reservedDirectBytes(), transport.pool().pinnedDirectBytes() - rings);
	}

	@Override
	long clientReadPathPinned() {
		long pinned = 0;
		for (ReadPathRegistry.Registration channel : this.clientRegistry.registrations()) {
			pinned += channel.stats().pinnedBytes();
		}
		return pinned;
	}

	@Override
	String transportName() {
		return this.client.eventLoops().type().displayName() + "/"
				+ this.client.settings().readPath().name().toLowerCase(Locale.ROOT);
	}

	@Override
	void closeResources() {
		for (ReadyReadTransport transport : new ReadyReadTransport[] { this.client, this.server }) {
			transport.close();
			transport.eventLoops().close();
		}
	}

}
