package io.github.readyread.grpc.springgrpc;

import io.github.readyread.grpc.autoconfigure.ReadyReadAltsOffConfiguration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration that fails startup when {@code grpc.ready-read.alts.*} asks for ALTS
 * and the ready-read transport does not provide it.
 */
@AutoConfiguration(after = { ReadyReadAutoConfiguration.class, ReadyReadAltsAutoConfiguration.class })
@Import(ReadyReadAltsOffConfiguration.class)
public final class ReadyReadAltsOffAutoConfiguration {

}
