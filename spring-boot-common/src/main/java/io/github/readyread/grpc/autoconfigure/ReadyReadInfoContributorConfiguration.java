package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.actuate.ReadyReadInfoContributor;
import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@link ReadyReadInfoContributor} that shows the ready-read mode in
 * {@code /actuator/info}, as each Spring Boot integration's auto-configuration imports
 * it. Off with {@code management.info.ready-read.enabled=false} (the older spelling
 * {@code management.info.readyread.enabled} binds to the same key).
 */
@Configuration(proxyBeanMethods = false)
public class ReadyReadInfoContributorConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnEnabledInfoContributor("ready-read")
	ReadyReadInfoContributor readyReadInfoContributor(ReadyReadTransport transport) {
		return new ReadyReadInfoContributor(transport);
	}

}
