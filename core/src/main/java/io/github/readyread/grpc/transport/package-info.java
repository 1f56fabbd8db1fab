/**
 * The transport: native epoll, io_uring or NIO event loops, and the ready read path that
 * takes a read buffer only when the socket is readable and keeps only incomplete frames.
 * {@link io.github.readyread.grpc.transport.ReadyReadTransport} puts builders on them;
 * the read path itself is in {@code transport.internal} (not API).
 */
@NullMarked
package io.github.readyread.grpc.transport;

import org.jspecify.annotations.NullMarked;
