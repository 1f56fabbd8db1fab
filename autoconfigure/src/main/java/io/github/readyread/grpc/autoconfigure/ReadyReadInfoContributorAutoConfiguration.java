package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.actuate.ReadyReadInfoContributor;
import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of the {@link ReadyReadInfoContributor} that shows the ready-read
 * mode in {@code /actuator/info}.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class)
@ConditionalOnClass({ InfoContributor.class, ConditionalOnEnabledInfoContributor.class })
@ConditionalOnBean(ReadyReadTransport.class)
@Import(ReadyReadInfoContributorConfiguration.class)
public final class ReadyReadInfoContributorAutoConfiguration {

}
