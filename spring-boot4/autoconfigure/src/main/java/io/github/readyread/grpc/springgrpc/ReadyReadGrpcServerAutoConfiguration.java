package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.autoconfigure.AltsFactoryCheck;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ServerBuilder;
import io.grpc.netty.NettyServerBuilder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * Auto-configuration that puts the Spring gRPC server on the ready-read transport,
 * through a {@link ServerBuilderCustomizer}.
 */
@AutoConfiguration(after = { ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class },
		before = GrpcServerAutoConfiguration.class)
@ConditionalOnClass({ ServerBuilderCustomizer.class, GrpcServerAutoConfiguration.class, NettyServerBuilder.class })
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadGrpcServerAutoConfiguration {

	/**
	 * Puts the server on the shared transport. Runs after the application's customizers,
	 * so that it sees the security they set; TLS from {@code spring.grpc.server.ssl.*} is
	 * already on the builder (Spring gRPC creates it with credentials) and is kept.
	 */
	@Bean
	@Order(Ordered.LOWEST_PRECEDENCE)
	ReadyReadServerBuilderCustomizer readyReadServerBuilderCustomizer(ReadyReadTransport transport,
			ObjectProvider<ChannelSecurity> channelSecurity) {
		return new ReadyReadServerBuilderCustomizer(new ReadyReadBuilders(transport,
				channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE), SpringGrpcPlatform.INSTANCE));
	}

	/**
	 * Not a lambda: Spring Boot calls a customizer only with builders of its type
	 * argument, and this one must see every builder, to fail on one it cannot configure
	 * rather than leave it silently off the transport. A server on a domain socket
	 * ({@code spring.grpc.server.netty.domain-socket-path}) stays on Spring gRPC's own
	 * epoll event loops, and fails with ALTS.
	 */
	@SuppressWarnings("rawtypes")
	static final class ReadyReadServerBuilderCustomizer implements ServerBuilderCustomizer {

		private final ReadyReadBuilders builders;

		ReadyReadServerBuilderCustomizer(ReadyReadBuilders builders) {
			this.builders = builders;
		}

		@Override
		public void customize(ServerBuilder builder) {
			AltsFactoryCheck.configured(this.builders.configureServer(builder), builder);
		}

	}

}
