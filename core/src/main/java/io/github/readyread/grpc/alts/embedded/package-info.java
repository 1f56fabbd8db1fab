/**
 * An insecure ALTS handshaker service for development and tests: off by default, never
 * for production (it proves no identity).
 */
@NullMarked
package io.github.readyread.grpc.alts.embedded;

import org.jspecify.annotations.NullMarked;
