/**
 * ALTS on unshaded Netty: {@link io.github.readyread.grpc.alts.AltsChannelSecurity} says
 * which connections use it; the handshake, the record layer and the limits around them
 * are in {@code alts.internal} (not API), the embedded handshaker in
 * {@code alts.embedded}.
 */
@NullMarked
package io.github.readyread.grpc.alts;

import org.jspecify.annotations.NullMarked;
