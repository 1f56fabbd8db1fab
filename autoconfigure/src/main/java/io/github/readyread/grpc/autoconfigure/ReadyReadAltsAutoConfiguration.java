package io.github.readyread.grpc.autoconfigure;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.actuate.AltsHandshakeMetrics;
import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.alts.AltsNegotiator;
import io.github.readyread.grpc.alts.AltsSettings;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.EmbeddedHandshakerService;
import io.github.readyread.grpc.alts.HandshakeLimiter;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ManagedChannel;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.channel.ChannelOption;
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

	/** Where grpc-alts finds the handshaker on GCP: the metadata server. */
	static final String GCP_HANDSHAKER_ADDRESS = "metadata.google.internal.:8080";

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
			properties.getAlts().checkChannelNames(channels.names());
		}
		return new AltsChannelSecurity(properties.getAlts(), transport, embeddedHandshaker.getIfAvailable(), failures);
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

	/**
	 * Builds ALTS negotiators for the channels listed under
	 * {@code grpc.ready-read.alts.client-channels} and for the server when
	 * {@code grpc.ready-read.alts.server=true}: all client channels share one handshake
	 * limiter, the server has its own.
	 */
	public static final class AltsChannelSecurity implements ChannelSecurity, AutoCloseable {

		private final ReadyReadProperties.Alts alts;

		private final ReadyReadTransport transport;

		private final EmbeddedHandshaker embedded;

		private final AltsHandshakeFailures failures;

		private final HandshakeLimiter clientLimiter;

		private final HandshakeLimiter serverLimiter;

		private ManagedChannel handshakerChannel;

		AltsChannelSecurity(ReadyReadProperties.Alts alts, ReadyReadTransport transport, EmbeddedHandshaker embedded,
				AltsHandshakeFailures failures) {
			this.alts = alts;
			this.transport = transport;
			this.embedded = embedded;
			this.failures = failures;
			this.clientLimiter = new HandshakeLimiter(alts.getMaxConcurrentHandshakes());
			this.serverLimiter = new HandshakeLimiter(alts.getMaxConcurrentHandshakes());
			if (embedded == null && (alts.isServer() || !alts.getClientChannels().isEmpty())) {
				handshakerAddress();
			}
		}

		@Override
		public GrpcNettyBridge.Negotiator clientNegotiator(String channelName, ReadPathStats stats) {
			if (!this.alts.isAltsChannel(channelName)) {
				return null;
			}
			return AltsNegotiator.client(
					settings(false, stats).withTargetServiceAccounts(
							this.alts.getTargetServiceAccounts().getOrDefault(channelName, List.of())),
					this.clientLimiter, this.failures);
		}

		@Override
		public GrpcNettyBridge.Negotiator serverNegotiator(ReadPathStats stats) {
			return this.alts.isServer()
					? AltsNegotiator.server(settings(true, stats), this.serverLimiter, this.failures) : null;
		}

		private AltsSettings settings(boolean server, ReadPathStats stats) {
			AltsSettings settings = AltsSettings.of(handshakerChannel(), stats)
				.withMaxFrameSize((int) this.alts.getMaxFrameSize().toBytes())
				.withMaxConcurrentHandshakes(this.alts.getMaxConcurrentHandshakes())
				.withHandshakeTimeout(this.alts.getHandshakeTimeout())
				.withPlaintextStage(this.transport.plaintextStage(server, stats));
			if (this.embedded != null) {
				settings = settings.withLocalServiceAccount(this.alts.getEmbeddedHandshaker().getServiceAccount());
			}
			return settings;
		}

		private synchronized io.grpc.Channel handshakerChannel() {
			if (this.embedded != null) {
				return this.embedded.channel();
			}
			if (this.handshakerChannel == null) {
				this.handshakerChannel = NettyChannelBuilder.forTarget(handshakerAddress())
					.usePlaintext()
					.eventLoopGroup(this.transport.transport().workerGroup())
					.channelType(this.transport.transport().socketChannelType())
					.withOption(ChannelOption.ALLOCATOR, this.transport.pool().allocator())
					.build();
			}
			return this.handshakerChannel;
		}

		private String handshakerAddress() {
			if (this.alts.getHandshakerAddress() != null) {
				return this.alts.getHandshakerAddress();
			}
			if (isOnGcp()) {
				return GCP_HANDSHAKER_ADDRESS;
			}
			throw new IllegalStateException("ALTS is configured (grpc.ready-read.alts.server or"
					+ " grpc.ready-read.alts.client-channels) but this machine is not on Google Cloud and no handshaker is set:"
					+ " set grpc.ready-read.alts.handshaker-address to your ALTS handshaker service, or, for development only,"
					+ " grpc.ready-read.alts.embedded-handshaker.enabled=true");
		}

		@Override
		public synchronized void close() throws InterruptedException {
			if (this.handshakerChannel != null) {
				this.handshakerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			}
		}

		private static boolean isOnGcp() {
			// The same check grpc-alts makes: GCE, GKE and Cloud Run report this product
			// name.
			try {
				Path product = Path.of("/sys/class/dmi/id/product_name");
				return Files.isReadable(product) && Files.readString(product).trim().startsWith("Google");
			}
			catch (Exception ex) {
				return false;
			}
		}

	}

}
