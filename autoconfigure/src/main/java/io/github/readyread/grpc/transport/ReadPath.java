package io.github.readyread.grpc.transport;

/**
 * How connections read from their sockets.
 */
public enum ReadPath {

	/**
	 * Read buffers sized to the frame being read, taken only when the socket is readable
	 * and returned in the same event loop task; incomplete frames keep only their own
	 * bytes.
	 */
	READY,

	/** Netty's and grpc-java's usual read path, for comparison or as an escape hatch. */
	CONVENTIONAL

}
