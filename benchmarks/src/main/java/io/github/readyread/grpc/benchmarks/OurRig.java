package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadNegotiators;
import io.github.readyread.grpc.transport.ReadyReadTransport;
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

	OurRig(Config config, Security security, String handshakerTarget) {
		this.security = security;
		this.handshakerTarget = handshakerTarget;
		this.server = transport(config);
		this.client = transport(config);
	}

	private static ReadyReadTransport transport(Config config) {
		PoolSettings settings = PoolSettings.defaults();
		PooledBufferAllocator pool = new PooledBufferAllocator(settings);
		NettyTransport transport = NettyTransport.select(config.transport(), WORKER_THREADS, Duration.ZERO,
				Duration.ofSeconds(5), ReadBufferRing.defaults(pool.allocator()));
		if (transport.type() != config.transport()) {
			transport.close();
			throw new IllegalStateException(config.id() + " needs " + config.transport().displayName()
					+ ", unavailable here: " + transport.reason());
		}
		return new ReadyReadTransport(transport, pool, config.readPath(), READ_BUFFER_SIZE,
				settings.cacheTrimInterval());
	}

	@Override
	Server buildServer(ServerServiceDefinition service, Supplier<ChannelHandler> headHandler) {
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.addService(service);
		GrpcNettyBridge.Negotiator alts = (this.security == Security.ALTS)
				? OurAlts.server(this.handshakerTarget, this.server.serverStats(), this.server) : null;
		this.server.configure(builder, alts);
		CountingAllocator counting = new CountingAllocator(this.server.pool().allocator(), this.poolBytesTaken);
		builder.withOption(ChannelOption.ALLOCATOR, counting).withChildOption(ChannelOption.ALLOCATOR, counting);
		if (headHandler != null) {
			GrpcNettyBridge.Negotiator negotiator = (alts != null) ? alts
					: ReadyReadNegotiators.plaintext(true, ReadPath.CONVENTIONAL, this.server.serverStats(), false);
			GrpcNettyBridge.install(builder, withHead(negotiator, headHandler), alts != null);
		}
		return builder.build();
	}

	private static GrpcNettyBridge.Negotiator withHead(GrpcNettyBridge.Negotiator negotiator,
			Supplier<ChannelHandler> headHandler) {
		return ReadyReadNegotiators.beforeHandshake(negotiator,
				(channel) -> channel.pipeline().addFirst(headHandler.get()));
	}

	@Override
	ManagedChannel buildChannel(String name, InetSocketAddress target) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress(target).usePlaintext().directExecutor();
		GrpcNettyBridge.Negotiator alts = (this.security == Security.ALTS)
				? OurAlts.client(this.handshakerTarget, this.client.statsFor(name), this.client) : null;
		this.client.configure(builder, name, target.toString(), alts);
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

	private static PoolFigures figures(ReadyReadTransport transport) {
		return new PoolFigures(transport.pool().reservedDirectBytes(), transport.pool().pinnedDirectBytes());
	}

	@Override
	long clientReadPathPinned() {
		long pinned = 0;
		for (ReadPathStats stats : this.client.stats().values()) {
			pinned += stats.pinnedBytes();
		}
		return pinned;
	}

	@Override
	String transportName() {
		return this.client.transport().type().displayName() + "/"
				+ this.client.readPath().name().toLowerCase(Locale.ROOT);
	}

	@Override
	void closeResources() {
		for (ReadyReadTransport transport : new ReadyReadTransport[] { this.client, this.server }) {
			transport.close();
			transport.transport().close();
		}
	}

}
