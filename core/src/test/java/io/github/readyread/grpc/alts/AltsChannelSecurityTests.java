package io.github.readyread.grpc.alts;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.Owner;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link AltsChannelSecurity}: which owners it secures, the negotiators it
 * makes, and the settings its {@link AltsChannelSecurity.Config} refuses.
 */
class AltsChannelSecurityTests {

	private final NettyTransport loops = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO,
			Duration.ofSeconds(1));

	private final PooledBufferAllocator pool = new PooledBufferAllocator(
			new PoolSettings(1024 * 1024, 1, false, Duration.ZERO, true));

	private AltsChannelSecurity security;

	@AfterEach
	void close() throws InterruptedException {
		if (this.security != null) {
			this.security.close();
		}
		this.loops.close();
	}

	@Test
	void theServerAndTheListedChannelsGetAltsAndTheOthersPlaintext() {
		this.security = security(config(true, List.of("a", "b")));
		assertThat(this.security.securityOf(Owner.server())).isInstanceOf(TransportSecurity.Alts.class);
		assertThat(this.security.securityOf(Owner.channel("a"))).isInstanceOf(TransportSecurity.Alts.class);
		assertThat(this.security.securityOf(Owner.channel("c"))).isEqualTo(TransportSecurity.plaintext());
	}

	@Test
	void aChannelNamedServerIsNotTheServer() throws InterruptedException {
		this.security = security(config(true, List.of()));
		assertThat(this.security.securityOf(Owner.channel("server"))).isEqualTo(TransportSecurity.plaintext());
		this.security.close();
		this.security = security(config(false, List.of("server")));
		assertThat(this.security.securityOf(Owner.server())).isEqualTo(TransportSecurity.plaintext());
		assertThat(this.security.securityOf(Owner.channel("server"))).isInstanceOf(TransportSecurity.Alts.class);
	}

	@Test
	void clientChannelsShareOneHandshakeLimiterAndTheServerHasItsOwn() {
		this.security = security(config(true, List.of("*")));
		ReadPathStats stats = new ReadPathStats("test");
		AltsNegotiator a = negotiator(Owner.channel("a"), stats);
		AltsNegotiator b = negotiator(Owner.channel("b"), stats);
		AltsNegotiator server = negotiator(Owner.server(), stats);
		assertThat(a.isClient()).isTrue();
		assertThat(server.isClient()).isFalse();
		assertThat(a.limiter()).isSameAs(b.limiter());
		assertThat(a.limiter().maxConcurrent()).isEqualTo(5);
		assertThat(server.limiter()).isNotSameAs(a.limiter());
		assertThat(server.failures()).isSameAs(a.failures());
	}

	@Test
	void configRefusesAFrameSizeAltsCannotOffer() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AltsChannelSecurity.Config(null, true, List.of(), Map.of(), 8 * 1024,
					Duration.ofSeconds(20), 32, "me"))
			.withMessageContaining("grpc.ready-read.alts.max-frame-size")
			.withMessageContaining("8192");
		assertThatIllegalArgumentException().isThrownBy(() -> new AltsChannelSecurity.Config(null, false, List.of("a"),
				Map.of(), 256 * 1024, Duration.ofSeconds(20), 32, "me"));
	}

	@Test
	void configRefusesAHandshakeTimeoutThatIsNotPositive() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AltsChannelSecurity.Config(null, true, List.of(), Map.of(), 16 * 1024, Duration.ZERO,
					32, "me"))
			.withMessageContaining("grpc.ready-read.alts.handshake-timeout");
	}

	@Test
	void anEmbeddedHandshakerNextToAHandshakerAddressFailsNamingBoth() {
		ManagedChannel embedded = InProcessChannelBuilder.forName("embedded").build();
		try {
			assertThatIllegalStateException()
				.isThrownBy(() -> new AltsChannelSecurity(config(true, List.of()), this.loops, this.pool, embedded,
						new AltsHandshakeFailures()))
				.withMessageContaining("grpc.ready-read.alts.handshaker-address=127.0.0.1:1")
				.withMessageContaining("embedded-handshaker.enabled=true");
		}
		finally {
			embedded.shutdownNow();
		}
	}

	@Test
	void configOfAltsThatNothingUsesIsNotChecked() {
		AltsChannelSecurity.Config config = new AltsChannelSecurity.Config(null, false, List.of(), Map.of(), 1,
				Duration.ZERO, 32, "me");
		assertThat(config.isUsed()).isFalse();
	}

	private AltsNegotiator negotiator(Owner owner, ReadPathStats stats) {
		TransportSecurity.Alts alts = (TransportSecurity.Alts) this.security.securityOf(owner);
		return (AltsNegotiator) alts.negotiators().negotiator(stats, null);
	}

	private AltsChannelSecurity security(AltsChannelSecurity.Config config) {
		return new AltsChannelSecurity(config, this.loops, this.pool, null, new AltsHandshakeFailures());
	}

	private static AltsChannelSecurity.Config config(boolean server, List<String> channels) {
		return new AltsChannelSecurity.Config("127.0.0.1:1", server, channels, Map.of(), 16 * 1024,
				Duration.ofSeconds(20), 5, "me");
	}

}
