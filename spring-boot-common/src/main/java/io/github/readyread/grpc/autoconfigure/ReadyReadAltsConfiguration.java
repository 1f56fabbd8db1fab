package io.github.readyread.grpc.autoconfigure;

import java.net.InetSocketAddress;

import io.github.readyread.grpc.alts.AltsChannelSecurity;
import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshakerService;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.micrometer.AltsHandshakeMetrics;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadBuilders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * ALTS for the client channels and the server that {@code grpc.ready-read.alts.*}
 * selects, as each Spring Boot integration's auto-configuration imports it; the
 * integration says which client channels exist with a {@link ConfiguredClientChannels}
 * bean.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadAltsConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(ReadyReadAltsConfiguration.class);

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@Conditional(OnReadyReadSwitchCondition.EmbeddedHandshakerEnabled.class)
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

	/**
	 * Checks that the server and the channels ALTS is asked for were built through the
	 * transport, as a server or channel factory of the application's own may not; each
	 * integration runs it on its own server-started event and channel listing. As an
	 * {@link AltsCheckRunListener.Check} it also fails startup with a server's failure
	 * that the event multicaster dropped.
	 */
	@Bean
	AltsAppliedCheck readyReadAltsAppliedCheck(ReadPathRegistry registry, ReadyReadProperties properties) {
		return new AltsAppliedCheck(registry, properties.getAlts());
	}

	@Bean
	@ConditionalOnMissingBean
	AltsHandshakeFailures altsHandshakeFailures() {
		return new AltsHandshakeFailures();
	}

	/**
	 * The transport's security: ALTS where {@code grpc.ready-read.alts.*} asks for it,
	 * plaintext elsewhere. A {@link ChannelSecurity} bean of the application's own takes
	 * its place, which {@link ReadyReadAltsOffConfiguration} refuses while
	 * {@code grpc.ready-read.alts.*} asks for ALTS.
	 */
	@Bean
	@ConditionalOnMissingBean(ChannelSecurity.class)
	AltsChannelSecurity altsChannelSecurity(ReadyReadProperties properties, NettyTransport eventLoops,
			PooledBufferAllocator pool, ObjectProvider<EmbeddedHandshaker> embeddedHandshaker,
			AltsHandshakeFailures failures, ObjectProvider<ConfiguredClientChannels> configuredChannels) {
		AltsChannelSecurity.Config config = config(properties.getAlts());
		ConfiguredClientChannels channels = configuredChannels.getIfAvailable();
		if (channels != null && channels.names() != null) {
			config.checkChannelNames(channels.names(), channels.channelProperty());
		}
		EmbeddedHandshaker embedded = embeddedHandshaker.getIfAvailable();
		AltsChannelSecurity security = new AltsChannelSecurity(config, eventLoops, pool,
				(embedded != null) ? embedded.channel() : null, failures);
		if (channels != null && channels.targets() != null) {
			channels.targets().forEach((name, target) -> {
				if (target != null) {
					ReadyReadBuilders.checkDomainSocketChannel(security, name, target);
				}
			});
		}
		return security;
	}

	/** {@code grpc.ready-read.alts.*}. */
	static AltsChannelSecurity.Config config(ReadyReadProperties.Alts alts) {
		return new AltsChannelSecurity.Config(alts.getHandshakerAddress(), alts.isServer(), alts.getClientChannels(),
				alts.getTargetServiceAccounts(), (int) alts.getMaxFrameSize().toBytes(), alts.getHandshakeTimeout(),
				alts.getMaxConcurrentHandshakes(), alts.getEmbeddedHandshaker().getServiceAccount());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
	static class AltsMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		AltsHandshakeMetrics altsHandshakeMetrics(AltsHandshakeFailures failures) {
			return new AltsHandshakeMetrics(failures);
		}

	}

}
