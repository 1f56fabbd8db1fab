package io.github.readyread.grpc.transport;

/**
 * How connections read from their sockets.
 */
public enum ReadPath {

	/**
	 * Read buffers sized to the frame being read, taken only when the socket is readable
	 * and done with in the same event loop task (gRPC may keep a DATA frame's slice until
	 * the message is read); incomplete frames keep only their own bytes.
	 */
	READY,

	/** Netty's and grpc-java's usual read path, for comparison or as an escape hatch. */
	CONVENTIONAL

}
