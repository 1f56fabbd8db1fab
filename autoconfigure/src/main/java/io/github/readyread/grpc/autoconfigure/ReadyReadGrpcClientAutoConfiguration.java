package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.ReadyReadTransport.ChannelInfo;
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
			if (builder instanceof InProcessChannelBuilder) {
				return;
			}
			if (!(builder instanceof NettyChannelBuilder nettyBuilder)) {
				throw new IllegalStateException("gRPC channel '" + name + "' is built by "
						+ builder.getClass().getName()
						+ ", which the ready-read transport cannot configure; expected io.grpc.netty.NettyChannelBuilder"
						+ " (set grpc.ready-read.enabled=false to use it as it is)");
			}
			ConnectionSecurity installed;
			try {
				installed = GrpcNettyBridge.installedSecurity(nettyBuilder);
			}
			catch (IllegalStateException ex) {
				throw new IllegalStateException("gRPC channel '" + name + "': " + ex.getMessage(), ex);
			}
			GrpcChannelProperties channel = channelsProperties.getObject().getChannel(name);
			var alts = channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE)
				.clientNegotiator(name, transport.statsFor(name));
			if (alts != null && installed != ConnectionSecurity.PLAINTEXT) {
				throw new IllegalStateException(
						"gRPC channel '" + name + "' is listed in grpc.ready-read.alts.client-channels but has "
								+ ((installed == ConnectionSecurity.CUSTOM)
										? "a protocol negotiator a GrpcChannelConfigurer installed"
										: installed.displayName() + " security (grpc.client." + name
												+ ".negotiation-type=" + installed.displayName()
												+ ", net.devh's default is tls, or a GrpcChannelConfigurer calling"
												+ " useTransportSecurity)")
								+ "; set grpc.client." + name + ".negotiation-type=plaintext for ALTS, or drop it from"
								+ " grpc.ready-read.alts.client-channels");
			}
			ChannelInfo info = transport.configure(nettyBuilder, name, String.valueOf(channel.getAddress()), alts);
			if (!installed.isOurs() && alts == null) {
				logger.info("gRPC channel '{}' uses {} through {} negotiator: conventional read path", name,
						info.security(),
						(installed == ConnectionSecurity.CUSTOM) ? "the application's own" : "grpc-java's own");
			}
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
