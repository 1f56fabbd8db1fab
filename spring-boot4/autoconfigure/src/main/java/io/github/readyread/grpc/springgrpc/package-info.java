/**
 * Auto-configuration for Spring Boot 4 with Spring gRPC.
 */
@NullMarked
package io.github.readyread.grpc.springgrpc;

import org.jspecify.annotations.NullMarked;
