/**
 * Micrometer meter binders for the read path and the ALTS handshakes.
 */
@NullMarked
package io.github.readyread.grpc.micrometer;

import org.jspecify.annotations.NullMarked;
