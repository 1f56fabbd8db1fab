package io.github.readyread.grpc.transport.internal;

import io.github.readyread.grpc.transport.ReadSizing;

/**
 * The size of a connection's next {@link ReadSizing#ADAPTIVE} read, learned from what its
 * reads return: larger while reads fill their buffers, smaller once wakeups keep bringing
 * less than half of one.
 *
 * <pre>
 *   read filled its buffer of n bytes        -> size = min(max, 4 x n)
 *   2 wakeups in a row read &lt;= size / 2,
 *   none of their reads filling its buffer   -> size = max(MINIMUM, size / 2)
 * </pre>
 *
 * <p>
 * Growth is fast and shrinking slow, so a connection that streams reaches the largest
 * read within a few reads and keeps it across the short control-frame wakeups between
 * messages (window updates, pings), while one that carries small messages settles at
 * about twice what a wakeup brings: the read buffer it takes from the pool (and gives
 * back within the read) is then about the size of its messages, not always the largest.
 * Used only on the channel's event loop.
 */
final class AdaptiveReadSize {

	/** Smallest size (or the largest read, if that is smaller). */
	static final int MINIMUM = 1024;

	/** Size of a connection's first reads (or the largest read, if that is smaller). */
	static final int INITIAL = 2048;

	private static final int GROWTH = 4;

	private static final int SMALL_WAKEUPS_TO_SHRINK = 2;

	private final int maximum;

	private final int minimum;

	private int size;

	private int smallWakeups;

	private boolean filledThisWakeup;

	/**
	 * Read sizes from the smallest up to {@code maximum}.
	 * @param maximum largest read size
	 */
	AdaptiveReadSize(int maximum) {
		if (maximum < 1) {
			throw new IllegalArgumentException("maximum must be positive, was " + maximum);
		}
		this.maximum = maximum;
		this.minimum = Math.min(MINIMUM, maximum);
		this.size = Math.min(INITIAL, maximum);
	}

	/** Size of the next read. */
	int size() {
		return this.size;
	}

	/**
	 * A read filled its buffer: more bytes are probably queued.
	 * @param bufferSize size of the buffer it filled
	 */
	void readFilled(int bufferSize) {
		this.size = (int) Math.min(this.maximum, Math.max((long) this.size, (long) bufferSize * GROWTH));
		this.filledThisWakeup = true;
	}

	/**
	 * A wakeup's reads are done.
	 * @param bytes bytes they brought in all
	 */
	void wakeupRead(int bytes) {
		boolean filled = this.filledThisWakeup;
		this.filledThisWakeup = false;
		if (filled || bytes > this.size / 2) {
			this.smallWakeups = 0;
			return;
		}
		if (++this.smallWakeups >= SMALL_WAKEUPS_TO_SHRINK) {
			this.size = Math.max(this.minimum, this.size / 2);
			this.smallWakeups = 0;
		}
	}

}
