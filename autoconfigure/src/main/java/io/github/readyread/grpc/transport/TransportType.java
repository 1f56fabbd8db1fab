package io.github.readyread.grpc.transport;

/**
 * Which Netty transport gRPC channels and servers run on.
 */
public enum TransportType {

	/** Native epoll when available, else NIO. */
	AUTO,

	/** Linux native epoll; startup fails where it is unavailable. */
	EPOLL,

	/** Java NIO, available everywhere. */
	NIO

}
