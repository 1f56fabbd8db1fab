package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

import io.github.readyread.grpc.alts.AltsChannelSecurity;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsRecordDecoder;
import io.github.readyread.grpc.micrometer.AltsHandshakeMetrics;
import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.Owner;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.devh.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import net.devh.boot.grpc.client.channelfactory.GrpcChannelFactory;
import net.devh.boot.grpc.common.autoconfigure.GrpcCommonCodecAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import net.devh.boot.grpc.server.autoconfigure.GrpcServerFactoryAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ReadyReadAltsAutoConfiguration}: ALTS selected per channel in
 * properties, through the embedded handshaker, on real sockets.
 */
class ReadyReadAltsAutoConfigurationTests {

	/** An ALTS server asked for with the transport switched off. */
	private static final String[] ALTS_SERVER_WITH_THE_TRANSPORT_OFF = { "grpc.server.port=-1",
			"grpc.ready-read.enabled=false", "grpc.ready-read.alts.server=true" };

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ReadyReadAltsAutoConfiguration.class,
				ReadyReadAltsOffAutoConfiguration.class, ReadyReadAutoConfiguration.class,
				ReadyReadGrpcClientAutoConfiguration.class, ReadyReadGrpcServerAutoConfiguration.class,
				GrpcCommonCodecAutoConfiguration.class, GrpcClientAutoConfiguration.class,
				GrpcServerAutoConfiguration.class, GrpcServerFactoryAutoConfiguration.class))
		.withPropertyValues("grpc.ready-read.event-loop.threads=2")
		.withBean(EchoService.class);

	@Test
	void altsOffersGrpcJavasFrameSizeByDefault() {
		// grpc-java offers 128 KiB records; the handshake settles on the smaller offer.
		assertThat(new ReadyReadProperties().getAlts().getMaxFrameSize())
			.isEqualTo(org.springframework.util.unit.DataSize.ofKilobytes(128));
	}

	@Test
	void embeddedHandshakerIsOffByDefault() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).doesNotHaveBean(EmbeddedHandshaker.class);
			assertThat(context).hasSingleBean(AltsChannelSecurity.class);
		});
	}

	@Test
	void altsWithoutAHandshakerOffGcpFailsStartupSayingWhatToSet() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.server=true")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.handshaker-address")
				.hasMessageContaining("embedded-handshaker.enabled=true"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "false", "0", "no", "off" })
	void embeddedHandshakerStaysOffForEveryValueThePropertiesBindToFalse(String off) {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=" + off)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).doesNotHaveBean(EmbeddedHandshaker.class);
			});
	}

	@ParameterizedTest
	@ValueSource(strings = { "true", "1", "yes", "on" })
	void embeddedHandshakerStartsForEveryValueThePropertiesBindToTrue(String on) {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=" + on)
			.run((context) -> assertThat(context).hasSingleBean(EmbeddedHandshaker.class));
	}

	@Test
	void altsAskedWithTheTransportSwitchedOffFailsStartup() {
		this.contextRunner.withPropertyValues(ALTS_SERVER_WITH_THE_TRANSPORT_OFF)
			.run((context) -> assertStartupFailedNaming(context, "grpc.ready-read.alts.server=true",
					"grpc.ready-read.enabled=false"));
	}

	@Test
	void altsAskedWithTheTransportSwitchedOffFailsStartupThoughTheApplicationDefinesChannelSecurity() {
		this.contextRunner.withBean(ChannelSecurity.class, () -> ChannelSecurity.NONE)
			.withPropertyValues(ALTS_SERVER_WITH_THE_TRANSPORT_OFF)
			.run((context) -> assertStartupFailedNaming(context, "grpc.ready-read.enabled=false"));
	}

	@Test
	void altsAskedWithTheTransportSwitchedOffFailsStartupUnderLazyInitialization() {
		this.contextRunner
			.withInitializer(
					(context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
			.withPropertyValues(ALTS_SERVER_WITH_THE_TRANSPORT_OFF)
			.run((context) -> assertStartupFailedNaming(context, "grpc.ready-read.enabled=false"));
	}

	@Test
	void altsAskedWithoutGrpcAltsFailsStartup() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HandshakerServiceGrpc.class))
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.client-channels=backend",
					"grpc.client.backend.address=static://127.0.0.1:1")
			.run((context) -> assertStartupFailedNaming(context, "grpc.ready-read.alts.client-channels", "grpc-alts"));
	}

	@Test
	void anApplicationsOwnChannelSecurityTakesThePlaceOfOurs() {
		this.contextRunner.withBean("mySecurity", ChannelSecurity.class, () -> ChannelSecurity.NONE)
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=0")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).getBean(ChannelSecurity.class).isSameAs(context.getBean("mySecurity"));
				assertThat(context).doesNotHaveBean(AltsChannelSecurity.class);
				assertThat(context.getBean(ReadPathRegistry.class).server().security())
					.isEqualTo(ConnectionSecurity.PLAINTEXT);
			});
	}

	@Test
	void anApplicationsOwnChannelSecurityFailsStartupWhereAltsIsAskedFor() {
		this.contextRunner.withBean("mySecurity", ChannelSecurity.class, () -> ChannelSecurity.NONE)
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.server=true")
			.run((context) -> assertStartupFailedNaming(context, "grpc.ready-read.alts.server=true",
					"the application's own ChannelSecurity bean", "AltsChannelSecurity"));
	}

	@Test
	void altsAskedForStartsWhereTheStartersAltsChannelSecurityIsBehindAnAopProxy() {
		this.contextRunner.withBean(JdkProxyOfChannelSecurity.class)
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ChannelSecurity security = context.getBean(ChannelSecurity.class);
				assertThat(AopUtils.isJdkDynamicProxy(security)).isTrue();
				assertThat(AopProxyUtils.ultimateTargetClass(security)).isEqualTo(AltsChannelSecurity.class);
			});
	}

	@Test
	void altsSettingsAreNotCheckedWhereNothingAsksForAlts() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.max-concurrent-handshakes=0")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(AltsChannelSecurity.class));
	}

	@Test
	void aBadAltsSettingFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.server=true",
					"grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.max-concurrent-handshakes=0")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("grpc.ready-read.alts.max-concurrent-handshakes"));
	}

	/**
	 * The check that ALTS asked for is applied: an IllegalStateException naming each of
	 * {@code parts}.
	 */
	private static void assertStartupFailedNaming(AssertableApplicationContext context, String... parts) {
		assertThat(context).hasFailed().getFailure().isInstanceOf(IllegalStateException.class);
		for (String part : parts) {
			assertThat(context.getStartupFailure()).hasMessageContaining(part);
		}
	}

	@Test
	void transportSwitchedOffWithoutAltsStartsAsNetDevhAlone() {
		this.contextRunner.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(ChannelSecurity.class));
	}

	@Test
	void embeddedHandshakerRefusesNonLoopbackUnlessAllowed() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.embedded-handshaker.port=0",
					"grpc.ready-read.alts.embedded-handshaker.address=0.0.0.0")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("binds only loopback"));
	}

	@Test
	void altsChannelTalksToAltsServerAndPlaintextChannelIsRefused() throws IOException {
		int port = freePort();
		this.contextRunner.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
				"grpc.ready-read.alts.embedded-handshaker.enabled=true", "grpc.ready-read.alts.server=true",
				"grpc.ready-read.alts.client-channels=secure", "grpc.client.secure.address=static://127.0.0.1:" + port,
				"grpc.client.secure.negotiation-type=plaintext", "grpc.client.open.address=static://127.0.0.1:" + port,
				"grpc.client.open.negotiation-type=plaintext")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(EmbeddedHandshaker.class).tcpAddress()).isNull();
				GrpcChannelFactory factory = context.getBean(GrpcChannelFactory.class);
				Channel secure = factory.createChannel("secure");
				assertThat(EchoService.call(secure, new byte[] { 9, 8, 7 })).containsExactly(9, 8, 7);

				ReadPathRegistry registry = context.getBean(ReadPathRegistry.class);
				assertThat(registry.channel("secure").security()).isEqualTo(ConnectionSecurity.ALTS);
				assertThat(registry.server().security()).isEqualTo(ConnectionSecurity.ALTS);
				assertThat(registry.channel("secure").stats().liveChannels()).singleElement()
					.satisfies((channel) -> assertThat(channel.pipeline().get(AltsRecordDecoder.class)).isNotNull());
				assertThat(registry.server().stats().liveChannels()).singleElement()
					.satisfies((channel) -> assertThat(channel.pipeline().get(AltsRecordDecoder.class)).isNotNull());

				Channel open = factory.createChannel("open");
				assertThatExceptionOfType(StatusRuntimeException.class)
					.isThrownBy(() -> EchoService.call(open, new byte[] { 1 }));
			});
	}

	@Test
	void allAltsClientChannelsShareOneHandshakeLimitAndTheServerHasItsOwn() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.server=true", "grpc.ready-read.alts.max-concurrent-handshakes=5",
					"grpc.ready-read.alts.client-channels=a,b", "grpc.client.a.address=static://127.0.0.1:1",
					"grpc.client.b.address=static://127.0.0.1:2")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ChannelSecurity security = context.getBean(ChannelSecurity.class);
				ReadPathStats stats = new ReadPathStats("test");
				AltsNegotiator a = negotiator(security, Owner.channel("a"), stats);
				AltsNegotiator b = negotiator(security, Owner.channel("b"), stats);
				AltsNegotiator server = negotiator(security, Owner.server(), stats);
				assertThat(a.limiter()).isSameAs(b.limiter());
				assertThat(a.limiter().maxConcurrent()).isEqualTo(5);
				assertThat(server.limiter()).isNotSameAs(a.limiter());
				assertThat(server.limiter().maxConcurrent()).isEqualTo(5);
			});
	}

	@Test
	void anAltsClientChannelThatIsNotConfiguredFailsStartupNamingTheKnownOnes() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.client-channels=secure,scure", "grpc.client.secure.address=static://x:1",
					"grpc.client.open.address=static://x:2")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.client-channels names 'scure'")
				.hasMessageContaining("[open, secure]")
				.hasMessageContaining("grpc.client.scure.address"));
	}

	@Test
	void targetServiceAccountsOfAnUnknownChannelFailStartup() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.client-channels=secure", "grpc.client.secure.address=static://x:1",
					"grpc.ready-read.alts.target-service-accounts.secur=server@test")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("grpc.ready-read.alts.target-service-accounts names 'secur'")
				.hasMessageContaining("[secure]"));
	}

	@Test
	void targetServiceAccountsOfAChannelThatDoesNotUseAltsFailStartup() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.client-channels=secure", "grpc.client.secure.address=static://x:1",
					"grpc.client.open.address=static://x:2",
					"grpc.ready-read.alts.target-service-accounts.open=server@test")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("'open', which does not connect over ALTS"));
	}

	@Test
	void everyChannelMaySelectAltsWithAStar() {
		this.contextRunner
			.withPropertyValues("grpc.server.port=-1", "grpc.ready-read.alts.embedded-handshaker.enabled=true",
					"grpc.ready-read.alts.client-channels=*", "grpc.client.secure.address=static://x:1",
					"grpc.ready-read.alts.target-service-accounts.secure=server@test")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void failedHandshakesAreCountedInAMeter() throws IOException {
		int port = freePort();
		this.contextRunner
			.withPropertyValues("grpc.server.address=127.0.0.1", "grpc.server.port=" + port,
					"grpc.ready-read.alts.embedded-handshaker.enabled=true", "grpc.ready-read.alts.server=true")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				MeterRegistry registry = new SimpleMeterRegistry();
				context.getBean(AltsHandshakeMetrics.class).bindTo(registry);
				// A port scanner: connects, sends a byte, leaves.
				try (Socket scanner = new Socket(InetAddress.getLoopbackAddress(), port)) {
					scanner.getOutputStream().write(0);
				}
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(registry.get(AltsHandshakeMetrics.FAILURES)
						.tags("side", "server", "reason", "peer-closed")
						.functionCounter()
						.count()).isEqualTo(1));
				// Two sides, five reasons.
				assertThat(registry.get(AltsHandshakeMetrics.FAILURES).functionCounters()).hasSize(10);
			});
	}

	@Test
	void noHandshakeMeterWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterBinder.class))
			.withPropertyValues("grpc.server.port=-1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context).doesNotHaveBean(AltsHandshakeMetrics.class);
			});
	}

	private static AltsNegotiator negotiator(ChannelSecurity security, Owner owner, ReadPathStats stats) {
		TransportSecurity.Alts alts = (TransportSecurity.Alts) security.securityOf(owner);
		return (AltsNegotiator) alts.negotiators().negotiator(stats, null);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	/**
	 * Puts every {@link ChannelSecurity} bean behind a JDK proxy, as Spring AOP does for
	 * a bean an aspect matches (the starter's class is final: no class proxy).
	 */
	static class JdkProxyOfChannelSecurity implements BeanPostProcessor {

		@Override
		public Object postProcessAfterInitialization(Object bean, String beanName) {
			if (!(bean instanceof ChannelSecurity)) {
				return bean;
			}
			ProxyFactory factory = new ProxyFactory(bean);
			factory.setInterfaces(ChannelSecurity.class, AutoCloseable.class);
			factory.setProxyTargetClass(false);
			return factory.getProxy();
		}

	}

}
