package io.github.readyread.grpc.autoconfigure;

import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.ConnectivityState;
import io.grpc.Server;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.client.channelfactory.InProcessChannelFactory;
import net.devh.boot.grpc.client.config.GrpcChannelProperties;
import net.devh.boot.grpc.client.config.GrpcChannelsProperties;
import net.devh.boot.grpc.server.event.GrpcServerStartedEvent;
import net.devh.boot.grpc.server.serverfactory.GrpcServerFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

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

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerStartedEvent.class)
	static class NetDevhServerCheckConfiguration {

		@Bean
		AltsServerCheck readyReadAltsServerCheck(AltsAppliedCheck check) {
			return new AltsServerCheck(check);
		}

	}

	/**
	 * Checks each server that a Netty server factory creates before its lifecycle starts
	 * it (the check as it starts still follows, for every server).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(GrpcServerFactory.class)
	@Conditional(OnReadyReadSwitchCondition.AltsServer.class)
	static class NetDevhServerFactoryCheckConfiguration {

		@Bean
		static AltsFactoryCheck readyReadAltsServerFactoryCheck(ObjectProvider<AltsAppliedCheck> check) {
			return AltsFactoryCheck.servers(GrpcServerFactory.class, NetDevhPlatform.NETWORK_SERVER_FACTORIES,
					NetDevhPlatform::serverAddress, check, NetDevhPlatform.SERVER_NOT_CONFIGURED);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ GrpcChannelFactory.class, GrpcChannelsProperties.class })
	static class NetDevhChannelCheckConfiguration {

		@Bean
		AltsChannelCheck readyReadAltsChannelCheck(AltsAppliedCheck check, ConfigurableListableBeanFactory beanFactory,
				ObjectProvider<GrpcChannelsProperties> channelsProperties) {
			return new AltsChannelCheck(check, beanFactory, channelsProperties);
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

	/** The ALTS check of each net.devh server as it starts. */
	static final class AltsServerCheck extends AltsServerStartedCheck<GrpcServerStartedEvent> {

		AltsServerCheck(AltsAppliedCheck check) {
			super(check, NetDevhPlatform.SERVER_NOT_CONFIGURED);
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

	/**
	 * Checks the channels each channel factory created so far and lists in
	 * {@link GrpcChannelFactory#getConnectivityState()} (net.devh's own factories list
	 * every channel they created), from {@link AltsCheckRunListener}: after the context's
	 * refresh, before the runners, and again after the runners, before the application is
	 * reported ready. A factory not created yet has created no channel, and is left
	 * uncreated; one that keeps the interface's default, which lists none, or whose list
	 * fails, is named in a warning.
	 */
	static final class AltsChannelCheck implements AltsCheckRunListener.Check {

		private static final Logger logger = LoggerFactory.getLogger(AltsChannelCheck.class);

		private static final String IN_PROCESS = "in-process";

		private final AltsAppliedCheck check;

		private final ConfigurableListableBeanFactory beanFactory;

		private final ObjectProvider<GrpcChannelsProperties> channelsProperties;

		/** Warnings logged so far (the check runs twice per start): each once. */
		private final Set<String> warned = ConcurrentHashMap.newKeySet();

		AltsChannelCheck(AltsAppliedCheck check, ConfigurableListableBeanFactory beanFactory,
				ObjectProvider<GrpcChannelsProperties> channelsProperties) {
			this.check = check;
			this.beanFactory = beanFactory;
			this.channelsProperties = channelsProperties;
		}

		@Override
		public void check() {
			if (!this.check.coversChannels()) {
				return;
			}
			GrpcChannelsProperties properties = this.channelsProperties.getIfAvailable();
			Predicate<String> inProcess = (properties != null) ? inProcess(properties) : (name) -> false;
			for (String name : this.beanFactory.getBeanNamesForType(GrpcChannelFactory.class, false, false)) {
				if (this.beanFactory.containsSingleton(name)) {
					GrpcChannelFactory factory = this.beanFactory.getBean(name, GrpcChannelFactory.class);
					if (factory instanceof InProcessChannelFactory) {
						// Every channel it makes is in-process, whatever the properties
						// say.
						continue;
					}
					if (!listsItsChannels(factory) && this.warned.add(name + " lists nothing")) {
						logger.warn("grpc.ready-read.alts.client-channels is set and the GrpcChannelFactory bean '{}'"
								+ " ({}) does not list the channels it creates (getConnectivityState()), so whether"
								+ " they run ALTS cannot be checked: it must apply the GrpcChannelConfigurer beans",
								name, factory.getClass().getName());
					}
					Map<String, ConnectivityState> channels;
					try {
						channels = factory.getConnectivityState();
					}
					catch (RuntimeException ex) {
						// InProcessOrAlternativeChannelFactory throws when an in-process
						// server's name is also that of a network channel (a duplicate
						// key).
						if (!this.warned.add(name + " failed to list")) {
							continue;
						}
						logger.warn("grpc.ready-read.alts.client-channels is set and the GrpcChannelFactory bean '{}'"
								+ " ({}) could not list the channels it created (getConnectivityState() threw {}),"
								+ " so whether they run ALTS cannot be checked", name, factory.getClass().getName(),
								ex.toString());
						continue;
					}
					this.check.channelsCreated(channels.keySet(), inProcess, NetDevhPlatform.CHANNELS_NOT_CONFIGURED);
				}
			}
		}

		private static boolean listsItsChannels(GrpcChannelFactory factory) {
			try {
				return factory.getClass()
					.getMethod("getConnectivityState")
					.getDeclaringClass() != GrpcChannelFactory.class;
			}
			catch (NoSuchMethodException ex) {
				return false;
			}
		}

		/**
		 * Whether a name a factory lists is that of an in-process channel. net.devh's
		 * InProcessOrAlternativeChannelFactory lists an in-process channel under the name
		 * of the in-process server it connects to (its address
		 * {@code in-process:<server>}) or, with an in-process default scheme, under its
		 * own name. Creating an in-process channel gives its server's name properties
		 * with the GLOBAL channel's defaults (GLOBAL's address among them, which may be a
		 * network one), so a name that a configured channel's in-process address names is
		 * taken for an in-process channel before any address is looked at (a network
		 * channel of that name is taken for it too, and goes unchecked). Any other name
		 * is in-process if its address (its own, else GLOBAL's) is, or if it has none and
		 * the default scheme is in-process. Properties are read without net.devh's
		 * getChannel, which would add the name.
		 */
		private static Predicate<String> inProcess(GrpcChannelsProperties properties) {
			Set<String> servers = new HashSet<>();
			properties.getClient().values().forEach((channel) -> {
				URI address = channel.getAddress();
				if (address != null && IN_PROCESS.equals(address.getScheme())) {
					servers.add(address.getSchemeSpecificPart());
				}
			});
			URI globalAddress = properties.getGlobalChannel().getAddress();
			String defaultScheme = properties.getDefaultScheme();
			boolean inProcessByDefault = defaultScheme != null && defaultScheme.startsWith(IN_PROCESS);
			return (name) -> {
				if (servers.contains(name)) {
					return true;
				}
				GrpcChannelProperties channel = properties.getClient().get(name);
				URI address = (channel != null && channel.getAddress() != null) ? channel.getAddress() : globalAddress;
				if (address == null) {
					return inProcessByDefault;
				}
				return IN_PROCESS.equals(address.getScheme());
			};
		}

	}

}
