package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.alts.AltsChannelCredentials;
import io.grpc.alts.AltsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;

/**
 * grpc-java as shipped (grpc-netty-shaded, grpc-alts), with grpc's default event loops
 * and, per side, an explicit shaded pool built like grpc-java's own
 * ({@code Utils.createByteBufAllocator}: 2 MiB chunks, Netty's default arenas and caches)
 * so that its figures can be read from exactly that instance.
 */
final class StockRig extends Rig {

	private static final int GRPC_MAX_ORDER = 8;

	private final Security security;

	private final String handshakerTarget;

	private final PooledByteBufAllocator serverPool = grpcLikePool();

	private final PooledByteBufAllocator clientPool = grpcLikePool();

	/**
	 * One credentials object for every channel, as an application keeps one: grpc-alts
	 * shares the channel to the handshaker between the users of one credentials object
	 * (credentials built per channel open a handshaker channel, with its own event loop,
	 * per connection).
	 */
	private final ChannelCredentials channelCredentials;

	StockRig(Security security, String handshakerTarget) {
		this.security = security;
		this.handshakerTarget = handshakerTarget;
		this.channelCredentials = (security == Security.ALTS) ? AltsChannelCredentials.newBuilder()
			.enableUntrustedAltsForTesting()
			.setHandshakerAddressForTesting(handshakerTarget)
			.build() : null;
	}

	private static PooledByteBufAllocator grpcLikePool() {
		return new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
				PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
				GRPC_MAX_ORDER, PooledByteBufAllocator.defaultSmallCacheSize(),
				PooledByteBufAllocator.defaultNormalCacheSize(), PooledByteBufAllocator.defaultUseCacheForAllThreads());
	}

	@Override
	Server buildServer(ServerServiceDefinition service, Supplier<io.netty.channel.ChannelHandler> headHandler,
			Supplier<io.netty.channel.ChannelHandler> plaintextHandler) {
		if (headHandler != null || plaintextHandler != null) {
			throw new UnsupportedOperationException("Stock servers take no pipeline handlers");
		}
		InetSocketAddress address = new InetSocketAddress("127.0.0.1", 0);
		ShadedCountingAllocator counting = new ShadedCountingAllocator(this.serverPool, this.poolBytesTaken);
		NettyServerBuilder builder = (this.security == Security.ALTS) ? NettyServerBuilder.forAddress(address,
				AltsServerCredentials.newBuilder()
					.enableUntrustedAltsForTesting()
					.setHandshakerAddressForTesting(this.handshakerTarget)
					.build())
				: NettyServerBuilder.forAddress(address);
		return builder.directExecutor()
			.withOption(ChannelOption.ALLOCATOR, counting)
			.withChildOption(ChannelOption.ALLOCATOR, counting)
			.addService(service)
			.build();
	}

	@Override
	ManagedChannel buildChannel(String name, InetSocketAddress target) {
		NettyChannelBuilder builder = (this.security == Security.ALTS)
				? NettyChannelBuilder.forAddress(target, this.channelCredentials)
				: NettyChannelBuilder.forAddress(target).usePlaintext();
		return builder.directExecutor()
			.withOption(ChannelOption.ALLOCATOR, new ShadedCountingAllocator(this.clientPool, this.poolBytesTaken))
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
		return "grpc-netty-shaded defaults";
	}

	@Override
	void closeResources() {
	}

}
