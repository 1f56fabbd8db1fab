package io.github.readyread.grpc.autoconfigure;

import java.util.List;

import io.github.readyread.grpc.transport.ChannelSecurity;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * Fails startup when {@code grpc.ready-read.alts.*} asks for ALTS but nothing applies it
 * (the transport is off or missing, {@code grpc-alts} is not on the classpath, no
 * {@link ChannelSecurity} bean says which connections ALTS secures, or one of the
 * application's own takes the place of the starter's {@code AltsChannelSecurity}), where
 * the server and channels would otherwise run without ALTS without a word. Each Spring
 * Boot integration imports it after its ALTS auto-configuration. The check runs once
 * every singleton is created and before any server starts, lazy initialization or not.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadAltsOffConfiguration {

	private static final String HANDSHAKER_PROTOS = "io.grpc.alts.internal.HandshakerServiceGrpc";

	/**
	 * Named, not referenced: the class needs grpc-alts, which may be absent. Compared
	 * with the class behind any AOP proxy of the bean (the class is final: a JDK proxy of
	 * {@link ChannelSecurity} is the only kind).
	 */
	private static final String ALTS_SECURITY = "io.github.readyread.grpc.alts.AltsChannelSecurity";

	@Bean
	static SmartInitializingSingleton readyReadAltsOffCheck(Environment environment, ResourceLoader resourceLoader,
			ObjectProvider<ReadyReadTransport> transport, ObjectProvider<ChannelSecurity> channelSecurity) {
		return () -> {
			boolean installed = transport.getIfAvailable() != null;
			ChannelSecurity security = channelSecurity.getIfAvailable();
			if (installed && security != null
					&& ALTS_SECURITY.equals(AopProxyUtils.ultimateTargetClass(security).getName())) {
				return;
			}
			Binder binder = Binder.get(environment);
			boolean server = new OnReadyReadSwitchCondition.AltsServer().isOn(binder);
			List<String> channels = OnAltsClientChannelsCondition.clientChannels(binder);
			if (!server && channels.isEmpty()) {
				return;
			}
			String asked = server ? "grpc.ready-read.alts.server=true" : "grpc.ready-read.alts.client-channels";
			if (installed && security != null
					&& ClassUtils.isPresent(HANDSHAKER_PROTOS, resourceLoader.getClassLoader())) {
				throw new IllegalStateException(asked
						+ " asks for ALTS, but the application's own ChannelSecurity bean ("
						+ AopProxyUtils.ultimateTargetClass(security).getName()
						+ ") takes the place of the starter's AltsChannelSecurity,"
						+ " which applies grpc.ready-read.alts.*: the connections would not run ALTS as asked. Remove"
						+ " that bean, define an AltsChannelSecurity instead, or remove the grpc.ready-read.alts.*"
						+ " settings");
			}
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
