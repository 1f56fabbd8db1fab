package io.github.readyread.grpc.transport;

/**
 * What the ready read path hands gRPC the payloads of HTTP/2 DATA frames in, and so what
 * gRPC's deframer keeps while a message waits for the rest of its bytes: the trade-off
 * between one copy per byte and the memory an incomplete message holds.
 *
 * <p>
 * On io_uring, connections read into ring buffers shared by connections, and DATA
 * payloads always go on in copies of their own whatever this says
 * ({@link #SLICE_FILLED_READS} reads like {@link #COPY} there): a slice would keep a ring
 * buffer out of its ring while a message waits. Frames that span reads, and the head of a
 * message cut out of a frame that also ends another, go on in copies of their own with
 * either choice.
 */
public enum DataFrames {

	/**
	 * DATA payloads go on to gRPC as slices of the read buffer they came in, as in gRPC's
	 * own read path (no copy), except those of a message that is still incomplete when
	 * the read is done: they go on as slices only if that message's bytes in the read
	 * fill at least three quarters (75 %) of the buffer (a large message streaming in),
	 * and otherwise in an exact-size copy, the frame cut where the message begins. So
	 * what gRPC keeps for a waiting message costs at most 4/3 of the bytes it received:
	 * 1.1x measured over messages of 10-200 KB stopped at 5-95 % (scenario 4c), against
	 * 2x for stock gRPC. Complete messages the application has not asked for yet keep
	 * their read buffers, as in gRPC's own read path. About 10 % more throughput than
	 * {@link #COPY} on a download loop of 1 MiB messages.
	 */
	SLICE_FILLED_READS,

	/**
	 * Every DATA payload goes on in a copy of exactly its size: an incomplete message
	 * keeps exactly the bytes it has received, at the cost of one more memory copy of
	 * every received byte.
	 */
	COPY

}
