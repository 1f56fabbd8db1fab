package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
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
		return new PooledBufferAllocator(properties.getPool().toSettings());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	NettyTransport nettyTransport(ReadyReadProperties properties) {
		return properties.getEventLoop().select(properties.getTransport());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ReadyReadTransport readyReadTransport(ReadyReadProperties properties, NettyTransport transport,
			PooledBufferAllocator pool) {
		ReadyReadTransport readyRead = properties.newTransport(transport, pool);
		logger.info(ReadyReadBuilders.startupLine(readyRead));
		return readyRead;
	}

}
