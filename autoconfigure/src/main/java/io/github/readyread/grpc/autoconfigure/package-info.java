/**
 * Auto-configuration for Spring Boot 3 with the net.devh gRPC starter.
 */
@NullMarked
package io.github.readyread.grpc.autoconfigure;

import org.jspecify.annotations.NullMarked;
