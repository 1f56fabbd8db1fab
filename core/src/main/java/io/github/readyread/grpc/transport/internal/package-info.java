/**
 * Not API: may change in any release; used by {@code io.github.readyread.grpc.transport}
 * and {@code io.github.readyread.grpc.alts} only. The ready read path (read sizing, frame
 * decoders, the HTTP/2 frame aligner, the negotiators) and the one door to grpc-netty's
 * internal negotiation API.
 */
@NullMarked
package io.github.readyread.grpc.transport.internal;

import org.jspecify.annotations.NullMarked;
