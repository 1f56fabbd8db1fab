package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The shared pool, the shared event loops and the ready-read transport, as each Spring
 * Boot integration's auto-configuration imports them.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadTransportConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadTransportConfiguration.class);

	@Bean
	@ConditionalOnMissingBean
	PooledBufferAllocator pooledBufferAllocator(ReadyReadProperties properties) {
		return new PooledBufferAllocator(properties.getPool().toSettings());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	NettyTransport nettyTransport(ReadyReadProperties properties, PooledBufferAllocator pool) {
		return properties.getEventLoop().select(properties.getTransport(), properties.newReadBufferRing(pool));
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ReadyReadTransport readyReadTransport(ReadyReadProperties properties, NettyTransport transport,
			PooledBufferAllocator pool) {
		ReadyReadTransport readyRead = properties.newTransport(transport, pool);
		logger.info(ReadyReadBuilders.startupLine(readyRead));
		ReadBufferRing ring = transport.readBufferRing();
		if (ring != null) {
			logger.info("gRPC ready-read: io_uring read buffer rings: {} x {}B per worker event loop from the pool,"
					+ " incremental={}", ring.entries(), ring.bufferSize(), ring.incremental());
		}
		return readyRead;
	}

}
