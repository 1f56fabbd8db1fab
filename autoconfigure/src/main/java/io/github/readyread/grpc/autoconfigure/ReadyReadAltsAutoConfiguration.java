package io.github.readyread.grpc.autoconfigure;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.TreeSet;

import io.github.readyread.grpc.micrometer.AltsHandshakeMetrics;
import io.github.readyread.grpc.alts.AltsChannelSecurity;
import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.EmbeddedHandshakerService;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.micrometer.core.instrument.binder.MeterBinder;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of ALTS for the client channels and the server that
 * {@code grpc.ready-read.alts.*} selects.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class,
		before = { ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class })
@ConditionalOnClass(HandshakerServiceGrpc.class)
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadAltsAutoConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadAltsAutoConfiguration.class);

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@ConditionalOnProperty(prefix = "grpc.ready-read.alts.embedded-handshaker", name = "enabled")
	EmbeddedHandshaker embeddedHandshaker(ReadyReadProperties properties) {
		ReadyReadProperties.Alts.EmbeddedHandshaker embedded = properties.getAlts().getEmbeddedHandshaker();
		InetSocketAddress tcp = (embedded.getPort() != null)
				? new InetSocketAddress(embedded.getAddress(), embedded.getPort()) : null;
		EmbeddedHandshaker handshaker = EmbeddedHandshaker
			.start(new EmbeddedHandshakerService(embedded.getServiceAccount()), tcp, embedded.isAllowNonLoopback());
		logger.warn(
				"INSECURE: the embedded ALTS handshaker is on (grpc.ready-read.alts.embedded-handshaker.enabled=true)."
						+ " It authenticates nobody; use it for development and tests only{}",
				(tcp != null) ? ", listening on " + handshaker.target() : "");
		return handshaker;
	}

	@Bean
	@ConditionalOnMissingBean
	AltsHandshakeFailures altsHandshakeFailures() {
		return new AltsHandshakeFailures();
	}

	@Bean
	@ConditionalOnMissingBean
	AltsChannelSecurity altsChannelSecurity(ReadyReadProperties properties, ReadyReadTransport transport,
			ObjectProvider<EmbeddedHandshaker> embeddedHandshaker, AltsHandshakeFailures failures,
			ObjectProvider<ConfiguredClientChannels> configuredChannels) {
		ConfiguredClientChannels channels = configuredChannels.getIfAvailable();
		if (channels != null && channels.names() != null) {
			properties.getAlts().toConfig().checkChannelNames(channels.names(), "grpc.client.<name>.address");
		}
		return new AltsChannelSecurity(properties.getAlts().toConfig(), transport, embeddedHandshaker.getIfAvailable(),
				failures);
	}

	/**
	 * Names of the client channels that have net.devh properties; {@code names} is
	 * {@code null} when net.devh's client is not configured.
	 */
	record ConfiguredClientChannels(Set<String> names) {
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
				return new ConfiguredClientChannels(null);
			}
			Set<String> names = new TreeSet<>(channels.getClient().keySet());
			names.remove(GrpcChannelsProperties.GLOBAL_PROPERTIES_KEY);
			return new ConfiguredClientChannels(names);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterBinder.class)
	static class AltsMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		AltsHandshakeMetrics altsHandshakeMetrics(AltsHandshakeFailures failures) {
			return new AltsHandshakeMetrics(failures);
		}

	}

}
