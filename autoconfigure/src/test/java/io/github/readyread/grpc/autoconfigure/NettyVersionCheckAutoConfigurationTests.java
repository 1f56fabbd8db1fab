package io.github.readyread.grpc.autoconfigure;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link NettyVersionCheckAutoConfiguration}.
 */
class NettyVersionCheckAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(NettyVersionCheckAutoConfiguration.class));

	@Test
	void netty42PassesSilently() {
		this.contextRunner
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("readyReadNettyVersionCheck"));
	}

	@Test
	void netty41FailsStartupSayingWhatToSet() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MultiThreadIoEventLoopGroup.class))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("needs Netty 4.2")
				.hasMessageContaining("netty.version"));
	}

	@Test
	void netty41FailsStartupUnderLazyInitializationToo() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MultiThreadIoEventLoopGroup.class))
			.withInitializer(
					(context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("needs Netty 4.2"));
	}

	@Test
	void killSwitchAlsoSilencesTheCheck() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MultiThreadIoEventLoopGroup.class))
			.withPropertyValues("grpc.ready-read.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed());
	}

}
