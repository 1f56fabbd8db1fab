package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;

/**
 * Study only: unshaded grpc-netty on this build's Netty, gRPC's own event loops and a
 * pool built like gRPC's, plaintext only: what stock would be on our Netty version.
 */
final class PlainRig extends Rig {

	private static final int GRPC_MAX_ORDER = 8;

	private final PooledByteBufAllocator serverPool = grpcLikePool();

	private final PooledByteBufAllocator clientPool = grpcLikePool();

	PlainRig(Security security) {
		if (security != Security.PLAINTEXT) {
			throw new IllegalArgumentException("The plain rig is plaintext only (grpc-alts needs shaded Netty)");
		}
	}

	private static PooledByteBufAllocator grpcLikePool() {
		return new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
				PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
				GRPC_MAX_ORDER, PooledByteBufAllocator.defaultSmallCacheSize(),
				PooledByteBufAllocator.defaultNormalCacheSize(), PooledByteBufAllocator.defaultUseCacheForAllThreads());
	}

	@Override
	Server buildServer(ServerServiceDefinition service, Supplier<ChannelHandler> headHandler,
			Supplier<ChannelHandler> plaintextHandler) {
		if (headHandler != null || plaintextHandler != null) {
			throw new UnsupportedOperationException("Plain servers take no pipeline handlers");
		}
		CountingAllocator counting = new CountingAllocator(this.serverPool, this.poolBytesTaken);
		return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.withOption(ChannelOption.ALLOCATOR, counting)
			.withChildOption(ChannelOption.ALLOCATOR, counting)
			.addService(service)
			.build();
	}

	@Override
	ManagedChannel buildChannel(String name, InetSocketAddress target) {
		return NettyChannelBuilder.forAddress(target)
			.usePlaintext()
			.directExecutor()
			.withOption(ChannelOption.ALLOCATOR, new CountingAllocator(this.clientPool, this.poolBytesTaken))
			.build();
	}

	@Override
	PoolFigures clientPool() {
		return new PoolFigures(this.clientPool.metric().usedDirectMemory(), this.clientPool.pinnedDirectMemory());
	}

	@Override
	PoolFigures serverPool() {
		return new PoolFigures(this.serverPool.metric().usedDirectMemory(), this.serverPool.pinnedDirectMemory());
	}

	@Override
	long clientReadPathPinned() {
		return -1;
	}

	@Override
	String transportName() {
		return "grpc-netty (unshaded) defaults";
	}

	@Override
	void closeResources() {
	}

}
