package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * Fails startup when {@code grpc.ready-read.alts.*} asks for ALTS but nothing provides it
 * (the transport is off or missing, or {@code grpc-alts} is not on the classpath), where
 * the server and channels would otherwise run in plaintext without a word. Each Spring
 * Boot integration imports it after its ALTS auto-configuration.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean(ChannelSecurity.class)
public class ReadyReadAltsOffConfiguration {

	private static final String HANDSHAKER_PROTOS = "io.grpc.alts.internal.HandshakerServiceGrpc";

	@Bean
	static InitializingBean readyReadAltsOffCheck(Environment environment, ResourceLoader resourceLoader,
			ObjectProvider<ReadyReadTransport> transport) {
		return () -> {
			Binder binder = Binder.get(environment);
			boolean server = binder.bind("grpc.ready-read.alts.server", Boolean.class).orElse(false);
			List<String> channels = binder.bind("grpc.ready-read.alts.client-channels", Bindable.listOf(String.class))
				.orElse(List.of());
			if (!server && channels.isEmpty()) {
				return;
			}
			String asked = server ? "grpc.ready-read.alts.server=true" : "grpc.ready-read.alts.client-channels";
			throw new IllegalStateException(asked + " asks for ALTS, which the ready-read transport provides, but "
					+ why(binder, transport.getIfAvailable() != null, resourceLoader.getClassLoader())
					+ ": the connections would run in plaintext. Remove the grpc.ready-read.alts.* settings or"
					+ " turn the transport on");
		};
	}

	private static String why(Binder binder, boolean transport, @Nullable ClassLoader classLoader) {
		if (!binder.bind("grpc.ready-read.enabled", Boolean.class).orElse(true)) {
			return "grpc.ready-read.enabled=false";
		}
		if (!ClassUtils.isPresent(HANDSHAKER_PROTOS, classLoader)) {
			return "io.grpc:grpc-alts (its handshaker protos) is not on the classpath";
		}
		if (!transport) {
			return "the transport is not configured (unshaded grpc-netty, Netty 4.2 or Netty's epoll classes missing;"
					+ " run with --debug for the conditions report)";
		}
		return "no ChannelSecurity bean was defined";
	}

}
