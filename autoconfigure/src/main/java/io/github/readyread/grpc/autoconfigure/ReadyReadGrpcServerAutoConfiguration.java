package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.netty.NettyServerBuilder;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import net.devh.boot.grpc.server.condition.ConditionalOnInterprocessServer;
import net.devh.boot.grpc.server.config.GrpcServerProperties;
import net.devh.boot.grpc.server.serverfactory.GrpcServerConfigurer;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import net.devh.boot.grpc.server.serverfactory.GrpcServerLifecycle;
import net.devh.boot.grpc.server.serverfactory.InProcessGrpcServerFactory;
import net.devh.boot.grpc.server.serverfactory.NettyGrpcServerFactory;
import net.devh.boot.grpc.server.service.GrpcServiceDefinition;
import net.devh.boot.grpc.server.service.GrpcServiceDiscoverer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Auto-configuration that puts the net.devh gRPC server on the ready-read transport.
 *
 * <p>
 * Its server factory builds an unshaded grpc-netty server even when
 * {@code grpc-netty-shaded} is on the classpath; net.devh's own factory configuration
 * backs off when it sees ours.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class, before = GrpcServerFactoryAutoConfiguration.class)
@ConditionalOnClass({ GrpcServerFactory.class, NettyServerBuilder.class })
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadGrpcServerAutoConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadGrpcServerAutoConfiguration.class);

	/**
	 * Puts the server on the shared transport. Runs after the application's configurers
	 * (net.devh applies {@code grpc.server.security.*} before any), so that it sees the
	 * security they set: it never replaces TLS or a negotiator the application installed.
	 */
	@Bean
	@Order(Ordered.LOWEST_PRECEDENCE)
	GrpcServerConfigurer readyReadServerConfigurer(ReadyReadTransport transport,
			ObjectProvider<ChannelSecurity> channelSecurity) {
		return (builder) -> AltsFactoryCheck
			.configured(new ReadyReadBuilders(transport, channelSecurity.getIfAvailable(() -> ChannelSecurity.NONE),
					NetDevhPlatform.INSTANCE)
				.configureServer(builder), builder);
	}

	/**
	 * Takes the place of net.devh's server factory so that the server is unshaded; not
	 * where the application excluded net.devh's (the way to switch its server off).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean({ GrpcServerFactory.class, GrpcServerLifecycle.class })
	@Conditional(NetDevhServerFactoryNotExcluded.class)
	static class ServerFactoryConfiguration {

		@Bean
		@Conditional(ConditionalOnInterprocessServer.class)
		NettyGrpcServerFactory nettyGrpcServerFactory(GrpcServerProperties properties,
				GrpcServiceDiscoverer serviceDiscoverer, List<GrpcServerConfigurer> serverConfigurers) {
			logger.info("Creating unshaded NettyGrpcServerFactory for the ready-read transport");
			NettyGrpcServerFactory factory = new NettyGrpcServerFactory(properties, serverConfigurers);
			for (GrpcServiceDefinition service : serviceDiscoverer.findGrpcServices()) {
				factory.addService(service);
			}
			return factory;
		}

		@Bean
		@ConditionalOnBean(NettyGrpcServerFactory.class)
		GrpcServerLifecycle nettyGrpcServerLifecycle(NettyGrpcServerFactory factory, GrpcServerProperties properties,
				ApplicationEventPublisher eventPublisher) {
			return new GrpcServerLifecycle(factory, properties.getShutdownGracePeriod(), eventPublisher);
		}

		@Bean
		@ConditionalOnProperty(prefix = "grpc.server", name = "in-process-name")
		InProcessGrpcServerFactory inProcessGrpcServerFactory(GrpcServerProperties properties,
				GrpcServiceDiscoverer serviceDiscoverer, List<GrpcServerConfigurer> serverConfigurers) {
			InProcessGrpcServerFactory factory = new InProcessGrpcServerFactory(properties, serverConfigurers);
			for (GrpcServiceDefinition service : serviceDiscoverer.findGrpcServices()) {
				factory.addService(service);
			}
			return factory;
		}

		@Bean
		@ConditionalOnBean(InProcessGrpcServerFactory.class)
		GrpcServerLifecycle inProcessGrpcServerLifecycle(InProcessGrpcServerFactory factory,
				GrpcServerProperties properties, ApplicationEventPublisher eventPublisher) {
			return new GrpcServerLifecycle(factory, properties.getShutdownGracePeriod(), eventPublisher);
		}

	}

	/**
	 * Matches unless the application excluded net.devh's
	 * {@link GrpcServerFactoryAutoConfiguration} ({@code spring.autoconfigure.exclude} or
	 * {@code @SpringBootApplication(exclude = ...)}), whose beans
	 * {@link ServerFactoryConfiguration} re-declares: a server switched off that way must
	 * not start in our factory instead.
	 */
	static final class NetDevhServerFactoryNotExcluded extends SpringBootCondition {

		@Override
		public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
			ConditionMessage.Builder message = ConditionMessage
				.forCondition(GrpcServerFactoryAutoConfiguration.class.getSimpleName());
			ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
			if (beanFactory != null && ConditionEvaluationReport.get(beanFactory)
				.getExclusions()
				.contains(GrpcServerFactoryAutoConfiguration.class.getName())) {
				return ConditionOutcome.noMatch(message.because("the application excluded it"));
			}
			return ConditionOutcome.match(message.because("not excluded"));
		}

	}

}
