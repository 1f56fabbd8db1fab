package io.github.readyread.grpc.transport;

/**
 * How large the ready read path's socket reads are, and so where the bytes of an
 * incomplete frame wait: the trade-off between system calls and memory.
 *
 * <p>
 * On io_uring neither applies to receives into the provided buffer rings: the kernel
 * fills a ring buffer with whatever is queued, and there is no {@code SO_RCVLOWAT}.
 */
public enum ReadSizing {

	/**
	 * Reads sized from what reads return, as Netty's adaptive allocator sizes stock
	 * grpc-java's ({@code AdaptiveReadSize}: growing to the largest read size while bytes
	 * keep coming, shrinking when wakeups bring little), never smaller than what the
	 * frame being read misses, several per wakeup as in Netty's usual read loop; on
	 * epoll, {@code SO_RCVLOWAT} is raised only for a peer that trickles inside one
	 * frame. About stock grpc-java's system calls and read buffer bytes per message; the
	 * received part of an incomplete frame is held in the process in a buffer of its
	 * exact size.
	 */
	ADAPTIVE,

	/**
	 * One frame per read and, on epoll, one read per wakeup with {@code SO_RCVLOWAT} at
	 * the bytes still missing, so an incomplete frame waits in the kernel (nothing in the
	 * pool), at about 2 to 4 times the system calls of {@link #ADAPTIVE}.
	 */
	EXACT

}
