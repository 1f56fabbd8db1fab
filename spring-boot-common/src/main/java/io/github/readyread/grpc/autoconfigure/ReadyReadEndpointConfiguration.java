package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@link BufferPoolEndpoint /actuator/bufferpool} endpoint, as each Spring Boot
 * integration's auto-configuration imports it.
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadEndpointConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(BufferPoolEndpoint.class)
	BufferPoolEndpoint bufferPoolEndpoint(ReadyReadTransport transport, ReadPathRegistry registry) {
		return new BufferPoolEndpoint(transport, registry);
	}

}
