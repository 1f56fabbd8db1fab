package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.autoconfigure.ReadyReadMetricsConfiguration;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of Micrometer's Netty allocator and event executor metrics for the
 * shared pool and event loops, and of the read path and ALTS meters.
 */
@AutoConfiguration(after = ReadyReadAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass({ MeterRegistry.class, NettyAllocatorMetrics.class })
@ConditionalOnBean({ MeterRegistry.class, ReadyReadTransport.class })
@Import(ReadyReadMetricsConfiguration.class)
public final class ReadyReadMetricsAutoConfiguration {

}
