package io.github.readyread.grpc.autoconfigure;

import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of the shared pool, the shared event loops and the ready-read
 * transport that every gRPC channel and server uses.
 */
@AutoConfiguration(beforeName = { "net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration",
		"net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration" })
@ConditionalOnClass({ NettyChannelBuilder.class, MultiThreadIoEventLoopGroup.class, Epoll.class })
@Conditional(OnReadyReadSwitchCondition.Enabled.class)
@EnableConfigurationProperties(ReadyReadProperties.class)
@Import(ReadyReadTransportConfiguration.class)
public final class ReadyReadAutoConfiguration {

}
