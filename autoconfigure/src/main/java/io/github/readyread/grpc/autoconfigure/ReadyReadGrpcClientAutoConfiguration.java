package io.github.readyread.grpc.autoconfigure;

import java.net.URI;
import java.util.List;

import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelConfigurer;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessOrAlternativeChannelFactory;
import net.devh.boot.grpc.client.channelfactory.NettyChannelFactory;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import net.devh.boot.grpc.client.interceptor.GlobalClientInterceptorRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration that puts every net.devh gRPC client channel on the ready-read
 * transport.
 *
 * <p>
 * Its channel factory builds unshaded grpc-netty channels even when
 * {@code grpc-netty-shaded} is on the classpath (net.devh would pick the shaded one);
 * other libraries keep using shaded Netty for their own channels.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class, before = GrpcClientAutoConfiguration.class)
@ConditionalOnClass({ GrpcChannelFactory.class, NettyChannelBuilder.class, InProcessChannelBuilder.class })
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadGrpcClientAutoConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadGrpcClientAutoConfiguration.class);

	/**
	 * Puts every channel on the shared transport. Runs after the application's
	 * configurers (net.devh applies {@code grpc.client.*.negotiation-type} and
	 * {@code security} before any), so that it sees the security they set: it never
	 * replaces TLS or a negotiator the application installed.
	 */
	@Bean
	@Order(Ordered.LOWEST_PRECEDENCE)
	GrpcChannelConfigurer readyReadChannelConfigurer(ReadyReadTransport transport,
			ObjectProvider<GrpcChannelsProperties> channelsProperties,
			ObjectProvider<ChannelSecurity> channelSecurity) {
		return (builder, name) -> {
			URI address = channelsProperties.getObject().getChannel(name).getAddress();
			new ReadyReadBuilders(transport, channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE),
					NetDevhPlatform.INSTANCE)
				.configureChannel(builder, name, (address != null) ? address.toString() : name);
		};
	}

	@Bean
	@Lazy
	@ConditionalOnMissingBean(GrpcChannelFactory.class)
	GrpcChannelFactory readyReadGrpcChannelFactory(GrpcChannelsProperties properties,
			GlobalClientInterceptorRegistry interceptors, List<GrpcChannelConfigurer> configurers) {
		logger.info("Creating unshaded NettyChannelFactory + InProcessChannelFactory for the ready-read transport");
		NettyChannelFactory netty = new NettyChannelFactory(properties, interceptors, configurers);
		InProcessChannelFactory inProcess = new InProcessChannelFactory(properties, interceptors, configurers);
		return new InProcessOrAlternativeChannelFactory(properties, inProcess, netty);
	}

}
