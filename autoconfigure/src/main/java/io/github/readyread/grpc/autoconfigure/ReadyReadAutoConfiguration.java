package io.github.readyread.grpc.autoconfigure;

import java.util.Locale;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the shared pool, the shared event loops and the ready-read
 * transport that every gRPC channel and server uses.
 */
@AutoConfiguration(beforeName = { "net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration",
		"net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration" })
@ConditionalOnClass({ NettyChannelBuilder.class, MultiThreadIoEventLoopGroup.class, Epoll.class })
@ConditionalOnProperty(prefix = "grpc.ready-read", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(ReadyReadProperties.class)
public final class ReadyReadAutoConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadAutoConfiguration.class);

	@Bean
	@ConditionalOnMissingBean
	PooledBufferAllocator pooledBufferAllocator(ReadyReadProperties properties) {
		ReadyReadProperties.Pool pool = properties.getPool();
		int arenas = (pool.getArenas() != null) ? pool.getArenas() : PoolSettings.defaults().arenas();
		return new PooledBufferAllocator(new PoolSettings((int) pool.getChunkSize().toBytes(), arenas,
				pool.isThreadCaches(), pool.getCacheTrimInterval(), pool.isPreferDirect()));
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	NettyTransport nettyTransport(ReadyReadProperties properties) {
		ReadyReadProperties.EventLoop eventLoop = properties.getEventLoop();
		return NettyTransport.select(properties.getTransport(), eventLoop.getThreads(),
				eventLoop.getShutdownQuietPeriod(), eventLoop.getShutdownTimeout());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ReadyReadTransport readyReadTransport(ReadyReadProperties properties, NettyTransport transport,
			PooledBufferAllocator pool) {
		ReadyReadTransport readyRead = new ReadyReadTransport(transport, pool, properties.getReadPath(),
				(int) properties.getReadBufferSize().toBytes(), properties.getReadSizing(),
				pool.settings().cacheTrimInterval());
		PoolSettings settings = pool.settings();
		logger.info(
				"gRPC ready-read: mode={}{}, transport={}, read-path={}, read-sizing={}, read-buffer-size={}B, pool: chunk={}B arenas={} thread-caches={} direct={}",
				readyRead.mode(), (readyRead.fallbackReason() != null) ? " (" + readyRead.fallbackReason() + ")" : "",
				transport.type().displayName(), properties.getReadPath().name().toLowerCase(Locale.ROOT),
				readyRead.readSizing().name().toLowerCase(Locale.ROOT), readyRead.readBufferSize(),
				settings.chunkSize(), settings.arenas(), settings.threadCaches(), settings.preferDirect());
		return readyRead;
	}

}
