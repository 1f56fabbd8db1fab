package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@link BufferPoolEndpoint /actuator/bufferpool} endpoint.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(ReadyReadTransport.class)
public final class ReadyReadEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(BufferPoolEndpoint.class)
	BufferPoolEndpoint bufferPoolEndpoint(ReadyReadTransport transport) {
		return new BufferPoolEndpoint(transport);
	}

}
