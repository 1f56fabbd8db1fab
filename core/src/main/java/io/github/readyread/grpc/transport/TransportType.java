package io.github.readyread.grpc.transport;

import java.util.Locale;

/**
 * Which Netty transport gRPC channels and servers run on.
 */
public enum TransportType {

	/** Native epoll when available, else NIO. */
	AUTO,

	/** Linux native epoll; startup fails where it is unavailable. */
	EPOLL,

	/** Java NIO, available everywhere. */
	NIO,

	/**
	 * Linux io_uring with provided buffer rings (the kernel picks a read buffer only when
	 * bytes arrive); where it is unavailable, what {@link #AUTO} would choose.
	 */
	IO_URING;

	/**
	 * The name shown in the endpoint, the info and the log ({@code epoll}, {@code nio},
	 * {@code io_uring}), whatever the default locale.
	 * @return the lowercase name
	 */
	public String displayName() {
		return name().toLowerCase(Locale.ROOT);
	}

}
