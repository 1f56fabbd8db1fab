package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.autoconfigure.OnReadyReadSwitchCondition;
import io.github.readyread.grpc.autoconfigure.ReadyReadProperties;
import io.github.readyread.grpc.autoconfigure.ReadyReadTransportConfiguration;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of the shared pool, the shared event loops and the ready-read
 * transport that every Spring gRPC server and client channel uses.
 */
@AutoConfiguration(beforeName = { "org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration",
		"org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration" })
@ConditionalOnClass({ NettyChannelBuilder.class, MultiThreadIoEventLoopGroup.class, Epoll.class })
@Conditional(OnReadyReadSwitchCondition.Enabled.class)
@EnableConfigurationProperties(ReadyReadProperties.class)
@Import(ReadyReadTransportConfiguration.class)
public final class ReadyReadAutoConfiguration {

	/**
	 * Puts Spring Boot's unshaded Netty factories in the place of the shaded ones when
	 * {@code grpc-netty-shaded} is on the classpath.
	 */
	@Bean
	static UnshadedGrpcFactories readyReadUnshadedGrpcFactories() {
		return new UnshadedGrpcFactories();
	}

}
