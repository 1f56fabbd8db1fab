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
	 * DATA frames whose whole-frame payloads fill at least three quarters (75 %) of the
	 * read buffer they came in go on to gRPC as slices of that buffer, as in gRPC's own
	 * read path: no copy. An incomplete message then keeps, besides its own bytes, the
	 * rest of the read buffers its whole frames came in (on a connection of one busy
	 * stream, the rest of the first and the last of them; frames of other streams sharing
	 * those buffers can keep more, as in gRPC's own read path): measured 1.1x (plaintext)
	 * and 1.2x (ALTS) the bytes of undelivered messages over messages of 10-200 KB,
	 * against 2x for stock gRPC. DATA frames of other reads (small reads, mostly control
	 * frames or the head of a frame) go on in exact-size copies, as with {@link #COPY}.
	 * About 10 % more throughput than {@link #COPY} on a download loop of 1 MiB messages.
	 */
	SLICE_FILLED_READS,

	/**
	 * Every DATA payload goes on in a copy of exactly its size: an incomplete message
	 * keeps exactly the bytes it has received, at the cost of one more memory copy of
	 * every received byte.
	 */
	COPY

}
