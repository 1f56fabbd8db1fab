package io.github.readyread.grpc.autoconfigure;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import net.devh.boot.grpc.server.event.GrpcServerStartedEvent;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

/**
 * Auto-configuration of ALTS for the client channels and the server that
 * {@code grpc.ready-read.alts.*} selects.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class,
		before = { ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class })
@ConditionalOnClass(HandshakerServiceGrpc.class)
@ConditionalOnBean(ReadyReadTransport.class)
@Import(ReadyReadAltsConfiguration.class)
public final class ReadyReadAltsAutoConfiguration {

	/**
	 * Checks that the server ALTS is asked for was built through the transport, as a
	 * server factory of the application's own may not.
	 */
	@Bean
	AltsAppliedCheck readyReadAltsAppliedCheck(ReadPathRegistry registry, ReadyReadProperties properties) {
		return new AltsAppliedCheck(registry, properties.getAlts());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerStartedEvent.class)
	static class NetDevhServerCheckConfiguration {

		@Bean
		AltsServerCheck readyReadAltsServerCheck(AltsAppliedCheck check) {
			return new AltsServerCheck(check);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcChannelsProperties.class)
	static class NetDevhClientChannelsConfiguration {

		/**
		 * A channel net.devh creates by name without properties is not among them: it is
		 * not known at startup (net.devh makes up its properties when it is created).
		 */
		@Bean
		ConfiguredClientChannels readyReadConfiguredClientChannels(
				ObjectProvider<GrpcChannelsProperties> channelsProperties) {
			GrpcChannelsProperties channels = channelsProperties.getIfAvailable();
			if (channels == null) {
				return new ConfiguredClientChannels(null, "grpc.client.<name>.address");
			}
			Map<String, @Nullable String> targets = new TreeMap<>();
			for (String name : channels.getClient().keySet()) {
				if (!GrpcChannelsProperties.GLOBAL_PROPERTIES_KEY.equals(name)) {
					// With the GLOBAL channel's defaults, as net.devh builds the channel.
					URI address = channels.getChannel(name).getAddress();
					targets.put(name, (address != null) ? address.toString() : null);
				}
			}
			return new ConfiguredClientChannels(targets, "grpc.client.<name>.address");
		}

	}

	/**
	 * Checks each server as it starts, before any other listener announces it: net.devh
	 * publishes the event from the server's lifecycle, so a failure fails the context's
	 * start.
	 */
	static final class AltsServerCheck implements ApplicationListener<GrpcServerStartedEvent>, Ordered {

		private final AltsAppliedCheck check;

		AltsServerCheck(AltsAppliedCheck check) {
			this.check = check;
		}

		@Override
		public void onApplicationEvent(GrpcServerStartedEvent event) {
			this.check.serverStarted(event.getServer(), event.getAddress() + ":" + event.getPort(),
					NetDevhPlatform.SERVER_NOT_CONFIGURED);
		}

		@Override
		public int getOrder() {
			return Ordered.HIGHEST_PRECEDENCE;
		}

	}

}
