package com.example.readyread.sample;

import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.netty.NettyChannelBuilder;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelConfigurer;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The demo's beans: the generated file, the client workload and the pool monitor.
 */
@Configuration(proxyBeanMethods = false)
class SampleConfiguration {

	@Bean
	GeneratedFile generatedFile(SampleProperties properties) {
		return new GeneratedFile(Math.toIntExact(properties.getFileSize().toBytes()),
				Math.toIntExact(properties.getChunkSize().toBytes()), properties.getSeed());
	}

	@Bean
	DownloadClient downloadClient(GrpcChannelFactory channels, GeneratedFile file, SampleProperties properties) {
		return new DownloadClient(channels, file, properties);
	}

	@Bean
	PoolMonitor poolMonitor(PooledBufferAllocator pool, ReadyReadTransport transport, ReadPathRegistry readPaths,
			DownloadClient client, SampleProperties properties, ObjectProvider<PathMappedEndpoints> endpoints) {
		return new PoolMonitor(pool, transport, readPaths, client, properties, endpoints.getIfAvailable());
	}

	/**
	 * Gives the stall channels a fixed, small flow control window, so that a stalled
	 * stream receives one window of its message and the rest waits on the server; and
	 * keeps the idle channels connected (grpc-java would drop an idle connection after 30
	 * minutes).
	 */
	@Bean
	GrpcChannelConfigurer sampleChannelSettings(SampleProperties properties) {
		int window = Math.toIntExact(properties.getStall().getFlowControlWindow().toBytes());
		return (builder, name) -> {
			if (name.startsWith(DownloadClient.STALL_CHANNEL_PREFIX) && builder instanceof NettyChannelBuilder netty) {
				netty.flowControlWindow(window);
			}
			if (name.startsWith(DownloadClient.IDLE_CHANNEL_PREFIX)) {
				// 30 days or more disables grpc-java's idle mode.
				builder.idleTimeout(30, TimeUnit.DAYS);
			}
		};
	}

}
