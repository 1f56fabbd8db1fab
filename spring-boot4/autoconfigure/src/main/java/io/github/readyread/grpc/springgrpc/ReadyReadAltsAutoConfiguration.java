package io.github.readyread.grpc.springgrpc;

import java.util.Map;
import java.util.TreeMap;

import io.github.readyread.grpc.autoconfigure.AltsAppliedCheck;
import io.github.readyread.grpc.autoconfigure.AltsFactoryCheck;
import io.github.readyread.grpc.autoconfigure.AltsServerStartedCheck;
import io.github.readyread.grpc.autoconfigure.ConfiguredClientChannels;
import io.github.readyread.grpc.autoconfigure.OnAltsClientChannelsCondition;
import io.github.readyread.grpc.autoconfigure.OnReadyReadSwitchCondition;
import io.github.readyread.grpc.autoconfigure.ReadyReadAltsConfiguration;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.Server;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.client.InProcessGrpcChannelFactory;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * Auto-configuration of ALTS for the client channels and the server that
 * {@code grpc.ready-read.alts.*} selects.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class)
@ConditionalOnClass(HandshakerServiceGrpc.class)
@ConditionalOnBean(ReadyReadTransport.class)
@Import(ReadyReadAltsConfiguration.class)
public final class ReadyReadAltsAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerStartedEvent.class)
	static class SpringGrpcServerCheckConfiguration {

		@Bean
		AltsServerCheck readyReadAltsServerCheck(AltsAppliedCheck check) {
			return new AltsServerCheck(check);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcClientProperties.class)
	static class SpringGrpcClientChannelsConfiguration {

		/**
		 * The channels under {@code spring.grpc.client.channel}: a channel the
		 * application creates from a plain target is not among them, so it cannot be
		 * named for ALTS until it has a property.
		 */
		@Bean
		ConfiguredClientChannels readyReadConfiguredClientChannels(ObjectProvider<GrpcClientProperties> properties) {
			GrpcClientProperties client = properties.getIfAvailable();
			if (client == null) {
				return new ConfiguredClientChannels(null, SpringGrpcPlatform.CHANNEL_PROPERTY);
			}
			Map<String, @Nullable String> targets = new TreeMap<>();
			client.getChannel().forEach((name, channel) -> targets.put(name, channel.getTarget()));
			return new ConfiguredClientChannels(targets, SpringGrpcPlatform.CHANNEL_PROPERTY);
		}

	}

	/**
	 * Checks each server that a Netty server factory creates before its lifecycle starts
	 * it (the check as it starts still follows, for every server).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerFactory.class)
	@Conditional(OnReadyReadSwitchCondition.AltsServer.class)
	static class SpringGrpcServerFactoryCheckConfiguration {

		@Bean
		static AltsFactoryCheck readyReadAltsServerFactoryCheck(ObjectProvider<AltsAppliedCheck> check) {
			return AltsFactoryCheck.servers(GrpcServerFactory.class, SpringGrpcPlatform.NETWORK_SERVER_FACTORIES,
					SpringGrpcPlatform::serverAddress, check, SpringGrpcPlatform.SERVER_NOT_CONFIGURED);
		}

	}

	/**
	 * Checks each channel that a channel factory creates, before it is used: Spring
	 * gRPC's factories do not list the channels they created.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ GrpcChannelFactory.class, GrpcClientProperties.class })
	@Conditional(OnAltsClientChannelsCondition.class)
	static class SpringGrpcChannelFactoryCheckConfiguration {

		@Bean
		static AltsFactoryCheck readyReadAltsChannelFactoryCheck(ObjectProvider<AltsAppliedCheck> check) {
			return AltsFactoryCheck.channels(GrpcChannelFactory.class,
					InProcessGrpcChannelFactory.class::isAssignableFrom, check,
					SpringGrpcPlatform.CHANNELS_NOT_CONFIGURED);
		}

	}

	/** The ALTS check of each Spring gRPC server as it starts. */
	static final class AltsServerCheck extends AltsServerStartedCheck<GrpcServerStartedEvent> {

		AltsServerCheck(AltsAppliedCheck check) {
			super(check, SpringGrpcPlatform.SERVER_NOT_CONFIGURED);
		}

		@Override
		protected Server server(GrpcServerStartedEvent event) {
			return event.getServer();
		}

		@Override
		protected String announcedAddress(GrpcServerStartedEvent event) {
			return event.getAddress() + ":" + event.getPort();
		}

	}

}
