package io.github.readyread.grpc.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.micrometer.ChannelMeterLimit;
import io.github.readyread.grpc.micrometer.ReadPathMetrics;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.netty.util.concurrent.EventExecutor;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Micrometer's Netty allocator and event executor metrics for the shared pool and event
 * loops, and the {@link ReadPathMetrics read path meters}, as each Spring Boot
 * integration's auto-configuration imports them.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadMetricsConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "readyReadNettyAllocatorMetrics")
	NettyAllocatorMetrics readyReadNettyAllocatorMetrics(PooledBufferAllocator pool) {
		return new NettyAllocatorMetrics(pool.nettyAllocator());
	}

	@Bean
	@ConditionalOnMissingBean(name = "readyReadNettyEventExecutorMetrics")
	NettyEventExecutorMetrics readyReadNettyEventExecutorMetrics(NettyTransport transport) {
		List<EventExecutor> executors = new ArrayList<>();
		transport.bossGroup().forEach(executors::add);
		transport.workerGroup().forEach(executors::add);
		return new NettyEventExecutorMetrics(executors);
	}

	/**
	 * Bounds the read path meters' {@code channel} tag, which Spring Boot applies to its
	 * meter registries.
	 */
	@Bean
	@ConditionalOnMissingBean(name = "readyReadChannelMeterLimit")
	ChannelMeterLimit readyReadChannelMeterLimit(ReadyReadProperties properties) {
		return new ChannelMeterLimit(properties.getMetrics().getMaxChannels(),
				"grpc.ready-read.metrics.max-channels raises the limit");
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	ReadPathMetrics readPathMetrics(ReadyReadTransport transport, ReadPathRegistry registry) {
		return new ReadPathMetrics(transport, registry);
	}

}
