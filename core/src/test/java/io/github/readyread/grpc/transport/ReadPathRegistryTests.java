package io.github.readyread.grpc.transport;

import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadPathRegistry}.
 */
class ReadPathRegistryTests {

	private final ReadPathRegistry registry = new ReadPathRegistry();

	@Test
	void theServerAndAChannelNamedServerAreTwoOwnersWithTheirOwnFigures() {
		Registration server = this.registry.register(Owner.server(), "", ConnectionSecurity.ALTS, ReadPath.READY);
		Registration channel = this.registry.register(Owner.channel("server"), "static://127.0.0.1:1",
				ConnectionSecurity.TLS, ReadPath.CONVENTIONAL);
		channel.stats().incompleteBytesAdded(300, 512);

		assertThat(this.registry.server()).isSameAs(server);
		assertThat(this.registry.channel("server")).isSameAs(channel);
		assertThat(server.stats()).isNotSameAs(channel.stats());
		assertThat(server.stats().incompleteBytes()).isZero();
		assertThat(server.security()).isEqualTo(ConnectionSecurity.ALTS);
		assertThat(this.registry.channels()).containsOnlyKeys("server").containsValue(channel);
		assertThat(this.registry.registrations()).containsExactlyInAnyOrder(server, channel);
	}

	@Test
	void anOwnerRegisteredAgainKeepsItsFiguresAndTakesItsNewDescription() {
		Registration first = this.registry.register(Owner.channel("backend"), "dns:///a:1",
				ConnectionSecurity.PLAINTEXT, ReadPath.READY);
		first.stats().readBufferTaken(2048);
		Registration again = this.registry.register(Owner.channel("backend"), "dns:///b:2", ConnectionSecurity.TLS,
				ReadPath.CONVENTIONAL);
		assertThat(again.stats()).isSameAs(first.stats());
		assertThat(again.stats().readBuffersTaken()).isEqualTo(1);
		assertThat(this.registry.channel("backend")).isSameAs(again);
		assertThat(again.target()).isEqualTo("dns:///b:2");
		assertThat(this.registry.registrations()).hasSize(1);
	}

	@Test
	void channelsAreByNameWithoutTheServer() {
		this.registry.register(Owner.channel("b"), "x", ConnectionSecurity.PLAINTEXT, ReadPath.READY);
		this.registry.register(Owner.server(), "", ConnectionSecurity.PLAINTEXT, ReadPath.READY);
		this.registry.register(Owner.channel("a"), "y", ConnectionSecurity.PLAINTEXT, ReadPath.READY);
		assertThat(this.registry.channels().keySet()).containsExactly("a", "b");
		assertThat(this.registry.channel("a").name()).isEqualTo("a");
		assertThat(this.registry.server().name()).isEqualTo("server");
	}

	@Test
	void unknownOwnersHaveNoRegistration() {
		assertThat(this.registry.server()).isNull();
		assertThat(this.registry.channel("nope")).isNull();
		assertThat(this.registry.channels()).isEmpty();
		assertThat(this.registry.registrations()).isEmpty();
	}

}
