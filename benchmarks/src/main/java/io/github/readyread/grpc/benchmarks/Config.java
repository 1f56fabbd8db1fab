package io.github.readyread.grpc.benchmarks;

import java.util.Locale;

import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.TransportType;

/**
 * The configurations every scenario compares.
 */
public enum Config {

	/** Our transport, ready read path, on native epoll. */
	READY(TransportType.EPOLL, ReadPath.READY),

	/**
	 * Our transport, ready read path, on io_uring: provided buffer rings on the pool,
	 * multishot receives.
	 */
	IO_URING(TransportType.IO_URING, ReadPath.READY),

	/** Our transport, conventional read path, on NIO: the fallback. */
	CONVENTIONAL(TransportType.NIO, ReadPath.CONVENTIONAL),

	/**
	 * Study only (not in {@code run.sh}): our transport on native epoll with gRPC's own
	 * read path, to tell the read path's share of a gap from the transport's.
	 */
	EPOLL_CONVENTIONAL(TransportType.EPOLL, ReadPath.CONVENTIONAL),

	/** grpc-java as shipped: grpc-netty-shaded, and grpc-alts for ALTS. */
	STOCK(null, null),

	/**
	 * Study only (not in {@code run.sh}): unshaded grpc-netty on this build's Netty with
	 * gRPC's defaults, plaintext; tells the Netty version's share of a gap from the read
	 * path's.
	 */
	PLAIN(null, null);

	private final TransportType transport;

	private final ReadPath readPath;

	Config(TransportType transport, ReadPath readPath) {
		this.transport = transport;
		this.readPath = readPath;
	}

	TransportType transport() {
		return this.transport;
	}

	ReadPath readPath() {
		return this.readPath;
	}

	/** Lower-case name used in result files. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

}
