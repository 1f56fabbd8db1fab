package io.github.readyread.grpc.alts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.alts.internal.HandshakeLimiter;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.Owner;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import org.jspecify.annotations.Nullable;

/**
 * ALTS for the client channels {@link Config#clientChannels() listed} and for the server
 * when {@link Config#server()} is set: says so for each {@link Owner}, with the factory
 * of its negotiators. All client channels share one handshake limiter, the server has its
 * own. Talks to the embedded handshaker when there is one, else to the configured
 * handshaker service, else to GCP's, over a channel on the shared event loops.
 */
public final class AltsChannelSecurity implements ChannelSecurity, AutoCloseable {

	/** Where grpc-alts finds the handshaker on GCP: the metadata server. */
	public static final String GCP_HANDSHAKER_ADDRESS = "metadata.google.internal.:8080";

	private final Config config;

	private final NettyTransport eventLoops;

	private final PooledBufferAllocator pool;

	private final io.grpc.@Nullable Channel embeddedHandshaker;

	private final AltsHandshakeFailures failures;

	private final HandshakeLimiter clientLimiter;

	private final HandshakeLimiter serverLimiter;

	private @Nullable ManagedChannel handshakerChannel;

	/**
	 * Checks that a handshaker is reachable when anything uses ALTS, and that the
	 * embedded one is not asked for next to a handshaker address: fails at startup rather
	 * than at the first connection.
	 * @param config what uses ALTS, and how
	 * @param eventLoops the shared event loops the handshaker channel runs on
	 * @param pool the shared pool the handshaker channel allocates from
	 * @param embeddedHandshaker channel to the embedded handshaker, or {@code null}
	 * @param failures where failed handshakes are counted
	 */
	public AltsChannelSecurity(Config config, NettyTransport eventLoops, PooledBufferAllocator pool,
			io.grpc.@Nullable Channel embeddedHandshaker, AltsHandshakeFailures failures) {
		this.config = config;
		this.eventLoops = eventLoops;
		this.pool = pool;
		this.embeddedHandshaker = embeddedHandshaker;
		this.failures = failures;
		// Checked by the config where ALTS is used; unused, any value does.
		int permits = Math.max(1, config.maxConcurrentHandshakes());
		this.clientLimiter = new HandshakeLimiter(permits);
		this.serverLimiter = new HandshakeLimiter(permits);
		if (embeddedHandshaker != null && config.handshakerAddress() != null) {
			throw new IllegalStateException("grpc.ready-read.alts.handshaker-address=" + config.handshakerAddress()
					+ " and grpc.ready-read.alts.embedded-handshaker.enabled=true both name a handshaker; the embedded"
					+ " one authenticates nobody and would be used: remove one of the two");
		}
		if (embeddedHandshaker == null && config.isUsed()) {
			handshakerAddress();
		}
	}

	@Override
	public TransportSecurity securityOf(Owner owner) {
		if (owner.isServer() ? !this.config.server() : !this.config.isAltsChannel(owner.name())) {
			return TransportSecurity.plaintext();
		}
		if (owner.isServer()) {
			return TransportSecurity.alts(
					(stats, stage) -> AltsNegotiator.server(settings(stats, stage), this.serverLimiter, this.failures));
		}
		List<String> accounts = this.config.targetServiceAccounts().getOrDefault(owner.name(), List.of());
		return TransportSecurity.alts((stats, stage) -> AltsNegotiator
			.client(settings(stats, stage).withTargetServiceAccounts(accounts), this.clientLimiter, this.failures));
	}

	private AltsSettings settings(ReadPathStats stats, @Nullable Supplier<ChannelHandler> plaintextStage) {
		AltsSettings settings = AltsSettings.of(handshakerChannel(), stats)
			.withMaxFrameSize(this.config.maxFrameSize())
			.withMaxConcurrentHandshakes(this.config.maxConcurrentHandshakes())
			.withHandshakeTimeout(this.config.handshakeTimeout())
			.withPlaintextStage(plaintextStage);
		if (this.embeddedHandshaker != null) {
			settings = settings.withLocalServiceAccount(this.config.embeddedServiceAccount());
		}
		return settings;
	}

	private synchronized io.grpc.Channel handshakerChannel() {
		if (this.embeddedHandshaker != null) {
			return this.embeddedHandshaker;
		}
		if (this.handshakerChannel == null) {
			this.handshakerChannel = NettyChannelBuilder.forTarget(handshakerAddress())
				.usePlaintext()
				.eventLoopGroup(this.eventLoops.workerGroup())
				.channelType(this.eventLoops.socketChannelType())
				.withOption(ChannelOption.ALLOCATOR, this.pool.allocator())
				.build();
		}
		return this.handshakerChannel;
	}

	private String handshakerAddress() {
		if (this.config.handshakerAddress() != null) {
			return this.config.handshakerAddress();
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

	/**
	 * What uses ALTS and how, as the {@code grpc.ready-read.alts.*} properties say.
	 *
	 * @param handshakerAddress host:port of the handshaker service, {@code null} for
	 * GCP's
	 * @param server whether the server accepts only ALTS connections
	 * @param clientChannels client channel names that connect over ALTS, {@code *} for
	 * all
	 * @param targetServiceAccounts accounts the server of a channel must run as, by name
	 * @param maxFrameSize largest ALTS frame this side proposes
	 * @param handshakeTimeout longest a handshake may take, and wait for a slot before
	 * @param maxConcurrentHandshakes handshakes in progress at once per side
	 * @param embeddedServiceAccount account this process claims with the embedded
	 * handshaker
	 */
	public record Config(@Nullable String handshakerAddress, boolean server, List<String> clientChannels,
			Map<String, List<String>> targetServiceAccounts, int maxFrameSize, Duration handshakeTimeout,
			int maxConcurrentHandshakes, String embeddedServiceAccount) {

		public Config {
			clientChannels = List.copyOf(clientChannels);
			targetServiceAccounts = Map.copyOf(targetServiceAccounts);
			if (server || !clientChannels.isEmpty()) {
				if (maxFrameSize < AltsFrameSizes.DEFAULT || maxFrameSize > AltsFrameSizes.MAX) {
					throw new IllegalArgumentException("grpc.ready-read.alts.max-frame-size must be between "
							+ AltsFrameSizes.DEFAULT + " and " + AltsFrameSizes.MAX + " bytes, was " + maxFrameSize);
				}
				if (handshakeTimeout == null || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
					throw new IllegalArgumentException(
							"grpc.ready-read.alts.handshake-timeout must be positive, was " + handshakeTimeout);
				}
				if (maxConcurrentHandshakes < 1) {
					throw new IllegalArgumentException(
							"grpc.ready-read.alts.max-concurrent-handshakes must be positive, was "
									+ maxConcurrentHandshakes);
				}
			}
		}

		/**
		 * Whether anything uses ALTS: the server or a client channel.
		 * @return whether the server or any channel is secured with ALTS
		 */
		public boolean isUsed() {
			return this.server || !this.clientChannels.isEmpty();
		}

		/**
		 * Whether the named client channel connects over ALTS.
		 * @param channelName the channel name
		 * @return whether it is listed, or {@code *} is
		 */
		public boolean isAltsChannel(String channelName) {
			return covers(this.clientChannels, channelName);
		}

		/**
		 * Whether a {@code client-channels} list covers the named channel, the rule
		 * {@link #isAltsChannel} applies, for callers that hold only the list.
		 * @param clientChannels channel names, or {@code *} for all
		 * @param channelName the channel name
		 * @return whether it is listed, or {@code *} is
		 */
		public static boolean covers(List<String> clientChannels, String channelName) {
			return clientChannels.contains(channelName) || clientChannels.contains("*");
		}

		/**
		 * Fails if a channel named in {@code client-channels} or
		 * {@code target-service-accounts} is not one of the configured client channels,
		 * or if target service accounts are set for a channel that does not use ALTS: a
		 * typo would otherwise silently mean plaintext, or any server identity.
		 * @param configuredChannels names of the client channels that have properties
		 * @param channelProperty how a channel gets a property on this platform, with
		 * {@code <name>} for its name, e.g. {@code grpc.client.<name>.address}
		 */
		public void checkChannelNames(Collection<String> configuredChannels, String channelProperty) {
			Set<String> known = new TreeSet<>(configuredChannels);
			for (String name : this.clientChannels) {
				if (!"*".equals(name) && !known.contains(name)) {
					throw unknownChannel("client-channels", name, known, "in plaintext", channelProperty);
				}
			}
			for (String name : this.targetServiceAccounts.keySet()) {
				if (!known.contains(name)) {
					throw unknownChannel("target-service-accounts", name, known, "accepting any server identity",
							channelProperty);
				}
				if (!isAltsChannel(name)) {
					throw new IllegalStateException("grpc.ready-read.alts.target-service-accounts names '" + name
							+ "', which does not connect over ALTS, so the accounts would never be checked:"
							+ " add it to grpc.ready-read.alts.client-channels or remove the entry");
				}
			}
		}

		private static IllegalStateException unknownChannel(String property, String name, Set<String> known,
				String typoMeans, String channelProperty) {
			return new IllegalStateException("grpc.ready-read.alts." + property + " names '" + name
					+ "', which is not a configured client channel (configured: " + known
					+ "); a misspelt name would leave the real channel " + typoMeans + ". Fix the name or, for a"
					+ " channel created in code by name only, give it a property such as "
					+ channelProperty.replace("<name>", name) + " so it is known at startup");
		}

	}

}
