package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.autoconfigure.AltsFactoryCheck;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertyResolver;
import org.springframework.grpc.client.GrpcChannelBuilderCustomizer;

/**
 * Auto-configuration that puts every Spring gRPC client channel on the ready-read
 * transport, through a {@link GrpcChannelBuilderCustomizer}.
 *
 * <p>
 * A channel's name is what the application asks the channel factory for: a channel under
 * {@code spring.grpc.client.channel.<name>}, or a plain target.
 */
@AutoConfiguration(after = { ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class },
		before = GrpcClientAutoConfiguration.class)
@ConditionalOnClass({ GrpcChannelBuilderCustomizer.class, GrpcClientAutoConfiguration.class,
		NettyChannelBuilder.class })
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadGrpcClientAutoConfiguration {

	/**
	 * Puts every channel on the shared transport. Runs after the application's
	 * customizers, so that it sees the security they set; TLS from
	 * {@code spring.grpc.client.channel.<name>.ssl.*} is already on the builder (Spring
	 * gRPC creates it with credentials) and is kept.
	 */
	@Bean
	@Order(Ordered.LOWEST_PRECEDENCE)
	ReadyReadChannelBuilderCustomizer readyReadChannelBuilderCustomizer(ReadyReadTransport transport,
			ObjectProvider<ChannelSecurity> channelSecurity, ObjectProvider<GrpcClientProperties> properties,
			Environment environment) {
		return new ReadyReadChannelBuilderCustomizer(
				new ReadyReadBuilders(transport, channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE),
						SpringGrpcPlatform.INSTANCE),
				properties.getIfAvailable(GrpcClientProperties::new), environment);
	}

	/**
	 * Not a lambda: Spring Boot calls a customizer only with builders of its type
	 * argument, and this one must see every builder, to fail on one it cannot configure
	 * rather than leave it silently off the transport. A channel to a domain socket
	 * ({@code unix:} target) stays on Spring gRPC's own epoll event loops, and fails with
	 * ALTS. The customizer is given the channel's name; its target is resolved from it as
	 * Spring Boot resolves it ({@link SpringGrpcTargets}), placeholders included.
	 */
	@SuppressWarnings("rawtypes")
	static final class ReadyReadChannelBuilderCustomizer implements GrpcChannelBuilderCustomizer {

		private final ReadyReadBuilders builders;

		private final GrpcClientProperties properties;

		private final PropertyResolver resolver;

		ReadyReadChannelBuilderCustomizer(ReadyReadBuilders builders, GrpcClientProperties properties,
				PropertyResolver resolver) {
			this.builders = builders;
			this.properties = properties;
			this.resolver = resolver;
		}

		@Override
		public void customize(String name, ManagedChannelBuilder builder) {
			AltsFactoryCheck.configured(this.builders.configureChannel(builder, name,
					SpringGrpcTargets.of(name, this.properties, this.resolver)), builder);
		}

	}

}
