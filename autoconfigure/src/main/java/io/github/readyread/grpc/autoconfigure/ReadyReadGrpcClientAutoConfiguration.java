package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelConfigurer;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessOrAlternativeChannelFactory;
import net.devh.boot.grpc.client.channelfactory.NettyChannelFactory;
import net.devh.boot.grpc.client.config.GrpcChannelProperties;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import net.devh.boot.grpc.client.config.NegotiationType;
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

	@Bean
	GrpcChannelConfigurer readyReadChannelConfigurer(ReadyReadTransport transport,
			ObjectProvider<GrpcChannelsProperties> channelsProperties,
			ObjectProvider<ChannelSecurity> channelSecurity) {
		return (builder, name) -> {
			if (builder instanceof InProcessChannelBuilder) {
				return;
			}
			if (!(builder instanceof NettyChannelBuilder nettyBuilder)) {
				throw new IllegalStateException("gRPC channel '" + name + "' is built by "
						+ builder.getClass().getName()
						+ ", which the ready-read transport cannot configure; expected io.grpc.netty.NettyChannelBuilder"
						+ " (set grpc.ready-read.enabled=false to use it as it is)");
			}
			GrpcChannelProperties channel = channelsProperties.getObject().getChannel(name);
			String target = String.valueOf(channel.getAddress());
			ChannelSecurity security = channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE);
			var negotiator = security.clientNegotiator(name, transport.statsFor(name));
			if (negotiator == null && channel.getNegotiationType() != NegotiationType.PLAINTEXT) {
				logger.info("gRPC channel '{}' uses {} through grpc-java's own negotiator: conventional read path",
						name, channel.getNegotiationType());
			}
			transport.configure(nettyBuilder, name, target, negotiator,
					channel.getNegotiationType() == NegotiationType.PLAINTEXT);
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
