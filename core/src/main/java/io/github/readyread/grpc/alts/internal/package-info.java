/**
 * Not API: may change in any release; used by {@code io.github.readyread.grpc.alts} and
 * {@code io.github.readyread.grpc.alts.embedded} only. The ALTS record layer (crypter,
 * record decoder and encoder), the handshake handler and negotiator, and the limits
 * around them.
 */
@NullMarked
package io.github.readyread.grpc.alts.internal;

import org.jspecify.annotations.NullMarked;
