package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The shared pool, the shared event loops, the ready-read transport and the registry of
 * what it configured, as each Spring Boot integration's auto-configuration imports them.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadTransportConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadTransportConfiguration.class);

	@Bean
	@ConditionalOnMissingBean
	PooledBufferAllocator pooledBufferAllocator(ReadyReadProperties properties) {
		return new PooledBufferAllocator(poolSettings(properties.getPool()));
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	NettyTransport nettyTransport(ReadyReadProperties properties, PooledBufferAllocator pool) {
		return NettyTransport.select(transportSettings(properties), pool.allocator());
	}

	@Bean
	@ConditionalOnMissingBean
	ReadPathRegistry readPathRegistry() {
		return new ReadPathRegistry();
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ReadyReadTransport readyReadTransport(ReadyReadProperties properties, NettyTransport transport,
			PooledBufferAllocator pool, ReadPathRegistry registry) {
		ReadyReadTransport readyRead = new ReadyReadTransport(transport, pool, transportSettings(properties), registry);
		logger.info(ReadyReadBuilders.startupLine(readyRead));
		ReadBufferRing ring = transport.readBufferRing();
		if (ring != null) {
			logger.info("gRPC ready-read: io_uring read buffer rings: {} x {}B per worker event loop from the pool,"
					+ " incremental={}", ring.entries(), ring.bufferSize(), ring.incremental());
		}
		return readyRead;
	}

	/** {@code grpc.ready-read.pool.*}; no arenas set means the core's default. */
	static PoolSettings poolSettings(ReadyReadProperties.Pool pool) {
		int arenas = (pool.getArenas() != null) ? pool.getArenas() : PoolSettings.defaults().arenas();
		return new PoolSettings((int) pool.getChunkSize().toBytes(), arenas, pool.isThreadCaches(),
				pool.getCacheTrimInterval(), pool.isPreferDirect());
	}

	/**
	 * {@code grpc.ready-read.transport}, {@code read-*}, {@code event-loop.*} and
	 * {@code io-uring.*}.
	 */
	static TransportSettings transportSettings(ReadyReadProperties properties) {
		ReadyReadProperties.EventLoop eventLoop = properties.getEventLoop();
		ReadyReadProperties.IoUring ioUring = properties.getIoUring();
		return TransportSettings.builder()
			.transport(properties.getTransport())
			.workerThreads(eventLoop.getThreads())
			.shutdown(eventLoop.getShutdownQuietPeriod(), eventLoop.getShutdownTimeout())
			.readBufferRing(ioUring.getRingEntries(), (int) ioUring.getRingBufferSize().toBytes())
			.readPath(properties.getReadPath())
			.readBufferSize((int) properties.getReadBufferSize().toBytes())
			.readSizing(properties.getReadSizing())
			.dataFrames(properties.getDataFrames())
			.build();
	}

}
