/**
 * ALTS on unshaded Netty: the handshake through a handshaker service, the record layer,
 * and the limits around it (the embedded handshaker is in {@code alts.embedded}).
 */
@NullMarked
package io.github.readyread.grpc.alts;

import org.jspecify.annotations.NullMarked;
