package io.github.readyread.grpc.autoconfigure;

import java.lang.reflect.Proxy;
import java.util.Set;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link AltsFactoryCheck}'s bean type prediction (used by type matching and
 * AOT processing before a factory bean exists), which must agree with the proxy it makes
 * and never try to subclass what cannot be subclassed.
 */
class AltsFactoryCheckTests {

	private final ObjectProvider<AltsAppliedCheck> check = new StaticListableBeanFactory()
		.getBeanProvider(AltsAppliedCheck.class);

	@Test
	void aChannelFactoryThatCannotBeSubclassedIsPredictedAsAnInterfaceProxy() {
		AltsFactoryCheck channels = AltsFactoryCheck.channels(ChannelFactory.class, (type) -> false, this.check,
				"a factory of its own");
		Class<?> predicted = channels.determineBeanType(FinalChannelFactory.class, "factory");
		assertThat(Proxy.isProxyClass(predicted)).isTrue();
		assertThat(ChannelFactory.class).isAssignableFrom(predicted);
		Class<?> subclassed = channels.determineBeanType(OpenChannelFactory.class, "factory");
		assertThat(subclassed).isNotEqualTo(OpenChannelFactory.class).isAssignableTo(OpenChannelFactory.class);
	}

	@Test
	void aServerFactoryThatCannotBeSubclassedIsLeftAsItIs() {
		AltsFactoryCheck servers = AltsFactoryCheck.servers(ServerFactory.class,
				Set.of(FinalServerFactory.class.getName(), OpenServerFactory.class.getName()), (factory) -> null,
				this.check, "a factory of its own");
		assertThat(servers.determineBeanType(FinalServerFactory.class, "factory")).isEqualTo(FinalServerFactory.class);
		assertThat(servers.determineBeanType(OpenServerFactory.class, "factory")).isNotEqualTo(OpenServerFactory.class)
			.isAssignableTo(OpenServerFactory.class);
	}

	interface ChannelFactory {

		ManagedChannel createChannel(String name);

	}

	static final class FinalChannelFactory implements ChannelFactory {

		@Override
		public ManagedChannel createChannel(String name) {
			throw new UnsupportedOperationException();
		}

	}

	static class OpenChannelFactory implements ChannelFactory {

		@Override
		public ManagedChannel createChannel(String name) {
			throw new UnsupportedOperationException();
		}

	}

	interface ServerFactory {

		Server createServer();

	}

	static final class FinalServerFactory implements ServerFactory {

		@Override
		public Server createServer() {
			throw new UnsupportedOperationException();
		}

	}

	static class OpenServerFactory implements ServerFactory {

		@Override
		public Server createServer() {
			throw new UnsupportedOperationException();
		}

	}

}
