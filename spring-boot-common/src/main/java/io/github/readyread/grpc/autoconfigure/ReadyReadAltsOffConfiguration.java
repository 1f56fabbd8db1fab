package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * Fails startup when {@code grpc.ready-read.alts.*} asks for ALTS but nothing applies it
 * (the transport is off or missing, {@code grpc-alts} is not on the classpath, or no
 * {@link ChannelSecurity} bean says which connections ALTS secures), where the server and
 * channels would otherwise run in plaintext without a word. Each Spring Boot integration
 * imports it after its ALTS auto-configuration. The check runs once every singleton is
 * created and before any server starts, lazy initialization or not.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadAltsOffConfiguration {

	private static final String HANDSHAKER_PROTOS = "io.grpc.alts.internal.HandshakerServiceGrpc";

	@Bean
	static SmartInitializingSingleton readyReadAltsOffCheck(Environment environment, ResourceLoader resourceLoader,
			ObjectProvider<ReadyReadTransport> transport, ObjectProvider<ChannelSecurity> channelSecurity) {
		return () -> {
			boolean installed = transport.getIfAvailable() != null;
			if (installed && channelSecurity.getIfAvailable() != null) {
				return;
			}
			Binder binder = Binder.get(environment);
			boolean server = binder.bind("grpc.ready-read.alts.server", Boolean.class).orElse(false);
			List<String> channels = binder.bind("grpc.ready-read.alts.client-channels", Bindable.listOf(String.class))
				.orElse(List.of());
			if (!server && channels.isEmpty()) {
				return;
			}
			String asked = server ? "grpc.ready-read.alts.server=true" : "grpc.ready-read.alts.client-channels";
			throw new IllegalStateException(asked + " asks for ALTS, which the ready-read transport applies, but "
					+ why(binder, installed, resourceLoader.getClassLoader())
					+ ": the connections would run in plaintext. Remove the grpc.ready-read.alts.* settings or"
					+ " turn the transport on");
		};
	}

	private static String why(Binder binder, boolean transport, @Nullable ClassLoader classLoader) {
		if (!new OnReadyReadSwitchCondition.Enabled().isOn(binder)) {
			return "grpc.ready-read.enabled=false";
		}
		if (!transport) {
			return "the transport is not configured (unshaded grpc-netty, Netty 4.2 or Netty's epoll classes missing;"
					+ " run with --debug for the conditions report)";
		}
		if (!ClassUtils.isPresent(HANDSHAKER_PROTOS, classLoader)) {
			return "io.grpc:grpc-alts (its handshaker protos) is not on the classpath";
		}
		return "no ChannelSecurity bean was defined";
	}

}
