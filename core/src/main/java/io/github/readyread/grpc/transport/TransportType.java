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
	NIO;

	/**
	 * The name shown in the endpoint, the info and the log ({@code epoll}, {@code nio}),
	 * whatever the default locale.
	 * @return the lowercase name
	 */
	public String displayName() {
		return name().toLowerCase(Locale.ROOT);
	}

}
