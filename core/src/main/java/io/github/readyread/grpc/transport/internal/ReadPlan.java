package io.github.readyread.grpc.transport.internal;

import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * How each whole frame of one read goes on, decided once the aligner has followed them
 * all ({@link Http2FrameAligner#wholeFramesAhead}), so that a DATA payload is copied only
 * if gRPC would keep it after the read: when its bytes belong to the message its stream
 * waits in once the read is done, and that message fills too little of the read buffer
 * for the buffer to be kept for it.
 *
 * <pre>
 *   read buffer [ DATA s1: end of A | B ][ DATA s1: C ][ DATA s1: D | head of E ]
 *                 \_ A, B, C, D end in this read: slices (gRPC is done with them)
 *                                                            \_ E waits: cut, its head
 *                                                               copied, unless E's bytes
 *                                                               fill 75 % of the buffer
 * </pre>
 *
 * <p>
 * Decisions, in the order of the frames: {@link #SLICE} (with the run of frames it is
 * in), {@link #COPY} (header with the run, payload in a copy of its size), or a positive
 * offset into the payload at which to cut the frame in two (before it, messages that end
 * in this read; from it, the head of the message its stream waits in, copied). A stream
 * that is not followed ({@link MessageBoundaries}) has its DATA sliced only if whole DATA
 * frames fill three quarters of the buffer, as before streams were followed; with slicing
 * off ({@code data-frames: copy}, io_uring's shared buffers) every payload is copied, and
 * cut where a waiting message begins.
 */
final class ReadPlan {

	/** The frame goes on as a slice of the read buffer, with the frames around it. */
	static final int SLICE = -1;

	/** The frame's payload goes on in a copy of its own. */
	static final int COPY = -2;

	/** More frames were asked for than planned. */
	static final int UNPLANNED = Integer.MIN_VALUE;

	private static final int CONTROL = 0;

	private static final int DATA = 1;

	private static final int PADDED_DATA = 2;

	private static final int INITIAL_SLOTS = 8;

	/**
	 * Most frames the plan keeps room for once a read is done: a read of more frames
	 * (thousands of empty ones fit in one 64 KiB read) grows the arrays for itself only,
	 * so a connection's heap does not stay at what its largest read ever carried.
	 */
	static final int KEPT_SLOTS = 128;

	private @Nullable MessageBoundaries.Stream[] streams = new MessageBoundaries.Stream[INITIAL_SLOTS];

	private int[] kinds = new int[INITIAL_SLOTS];

	private int[] starts = new int[INITIAL_SLOTS];

	private int[] ends = new int[INITIAL_SLOTS];

	private int[] decisions = new int[INITIAL_SLOTS];

	private int count;

	private int next;

	/** Payload bytes of the read's whole DATA frames. */
	private long dataBytes;

	/** Forgets the last read's frames. */
	void clear() {
		if (this.kinds.length > KEPT_SLOTS) {
			allocate(INITIAL_SLOTS);
		}
		else {
			Arrays.fill(this.streams, 0, this.count, null);
		}
		this.count = 0;
		this.next = 0;
		this.dataBytes = 0;
	}

	/** Frames the plan has room for without growing. */
	int slots() {
		return this.kinds.length;
	}

	/** A frame other than DATA: it goes on as it came. */
	void control() {
		add(null, CONTROL, 0, 0);
	}

	/**
	 * A DATA frame.
	 * @param stream its stream's state after it, {@code null} if not followed
	 * @param start where its payload starts in the read buffer
	 * @param end where its payload ends
	 * @param padded whether it is padded (never cut)
	 */
	void data(MessageBoundaries.@Nullable Stream stream, int start, int end, boolean padded) {
		this.dataBytes += end - start;
		add(stream, padded ? PADDED_DATA : DATA, start, end);
	}

	/**
	 * Decides, once every whole frame of the read is in.
	 * @param slice whether DATA may go on as slices of the read buffer
	 * @param sliceShare the buffer's capacity times the share in percent that a waiting
	 * message's bytes (or, for streams not followed, all whole DATA frames' payloads)
	 * must reach (times 100) for its frames to go on as slices
	 */
	void decide(boolean slice, long sliceShare) {
		boolean filled = this.dataBytes * 100 >= sliceShare;
		for (int i = 0; i < this.count; i++) {
			this.decisions[i] = (this.kinds[i] == CONTROL) ? SLICE : decideData(i, slice, filled, sliceShare);
		}
		// The stream states are valid until the read is followed to its end.
		Arrays.fill(this.streams, 0, this.count, null);
	}

	private int decideData(int i, boolean slice, boolean filled, long sliceShare) {
		MessageBoundaries.Stream stream = this.streams[i];
		if (stream == null || stream.dropped) {
			return (slice && filled) ? SLICE : COPY;
		}
		int trail = stream.trailStart;
		if (stream.ended || this.ends[i] <= trail) {
			// Its bytes belong to messages that end in this read.
			return slice ? SLICE : COPY;
		}
		if (slice && (long) stream.trailBytes * 100 >= sliceShare) {
			// The waiting message fills most of the buffer: keeping it costs little more
			// than the copy would.
			return SLICE;
		}
		int start = this.starts[i];
		if (this.kinds[i] == PADDED_DATA || start >= trail) {
			return COPY;
		}
		return trail - start;
	}

	/**
	 * The next frame's decision, or {@link #UNPLANNED}. The last one taken, a plan the
	 * read grew past {@link #KEPT_SLOTS} shrinks back ({@link #clear}).
	 */
	int next() {
		if (this.next == this.count) {
			return UNPLANNED;
		}
		int decision = this.decisions[this.next++];
		if (this.next == this.count && this.kinds.length > KEPT_SLOTS) {
			clear();
		}
		return decision;
	}

	private void allocate(int slots) {
		this.streams = new MessageBoundaries.Stream[slots];
		this.kinds = new int[slots];
		this.starts = new int[slots];
		this.ends = new int[slots];
		this.decisions = new int[slots];
	}

	private void add(MessageBoundaries.@Nullable Stream stream, int kind, int start, int end) {
		if (this.count == this.kinds.length) {
			int size = this.count * 2;
			this.streams = Arrays.copyOf(this.streams, size);
			this.kinds = Arrays.copyOf(this.kinds, size);
			this.starts = Arrays.copyOf(this.starts, size);
			this.ends = Arrays.copyOf(this.ends, size);
			this.decisions = Arrays.copyOf(this.decisions, size);
		}
		this.streams[this.count] = stream;
		this.kinds[this.count] = kind;
		this.starts[this.count] = start;
		this.ends[this.count] = end;
		this.count++;
	}

}
