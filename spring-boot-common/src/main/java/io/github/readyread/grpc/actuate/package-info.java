/**
 * Actuator support shared by both Spring Boot integrations: the {@code bufferpool}
 * endpoint and the info contributor.
 */
@NullMarked
package io.github.readyread.grpc.actuate;

import org.jspecify.annotations.NullMarked;
