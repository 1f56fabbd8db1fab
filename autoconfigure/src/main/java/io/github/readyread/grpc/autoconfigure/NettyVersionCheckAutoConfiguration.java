package io.github.readyread.grpc.autoconfigure;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Fails startup with a clear message when grpc-netty runs on Netty 4.1, which Spring Boot
 * 3.5 manages by default: the ready-read transport needs Netty 4.2 and would otherwise
 * silently not apply.
 */
@AutoConfiguration
@ConditionalOnClass(name = "io.grpc.netty.NettyChannelBuilder")
@ConditionalOnMissingClass("io.netty.channel.MultiThreadIoEventLoopGroup")
@Conditional(OnReadyReadSwitchCondition.Enabled.class)
public final class NettyVersionCheckAutoConfiguration {

	/**
	 * A {@link SmartInitializingSingleton}: Spring Boot's lazy initialization leaves it
	 * eager, so the check runs before any server starts.
	 */
	@Bean
	static SmartInitializingSingleton readyReadNettyVersionCheck() {
		return () -> {
			throw new IllegalStateException("grpc-ready-read needs Netty 4.2 but found "
					+ io.netty.util.Version.identify().getOrDefault("netty-common", null)
					+ ": set <netty.version>4.2.18.Final</netty.version> in your pom (Spring Boot 3.5 manages Netty 4.1),"
					+ " or grpc.ready-read.enabled=false");
		};
	}

}
