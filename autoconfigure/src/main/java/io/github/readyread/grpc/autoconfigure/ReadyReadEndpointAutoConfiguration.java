package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.actuate.BufferPoolEndpoint;
import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of the {@link BufferPoolEndpoint /actuator/bufferpool} endpoint.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(ReadyReadTransport.class)
@Import(ReadyReadEndpointConfiguration.class)
public final class ReadyReadEndpointAutoConfiguration {

}
