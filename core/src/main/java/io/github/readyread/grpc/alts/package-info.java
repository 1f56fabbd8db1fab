/**
 * ALTS on unshaded Netty: the handshake through a handshaker service, the record layer,
 * and an insecure embedded handshaker for development.
 */
@NullMarked
package io.github.readyread.grpc.alts;

import org.jspecify.annotations.NullMarked;
