/**
 * The one pooled buffer allocator that every connection, server and client, shares.
 */
@NullMarked
package io.github.readyread.grpc.buffer;

import org.jspecify.annotations.NullMarked;
