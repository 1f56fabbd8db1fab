package io.github.readyread.grpc.alts;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Bounds how many ALTS handshakes of one side run at once; the others wait in a queue
 * without blocking any thread.
 *
 * <p>
 * Clients and servers must not share one limiter: a process that connects to itself would
 * otherwise fill every permit with handshakes waiting for their other halves.
 */
public final class HandshakeLimiter {

	private final int maxConcurrent;

	private final ArrayDeque<Permit> queue = new ArrayDeque<>();

	private int active;

	private int peakActive;

	public HandshakeLimiter(int maxConcurrent) {
		if (maxConcurrent < 1) {
			throw new IllegalArgumentException("maxConcurrent must be positive, was " + maxConcurrent);
		}
		this.maxConcurrent = maxConcurrent;
	}

	/**
	 * Asks for a permit. If one is free the returned permit is already granted and
	 * {@code onGranted} is not run; otherwise {@code onGranted} runs on {@code executor}
	 * once it is.
	 */
	public Permit acquire(Executor executor, Runnable onGranted) {
		Permit permit = new Permit(executor, onGranted);
		synchronized (this) {
			if (this.active < this.maxConcurrent) {
				this.active++;
				this.peakActive = Math.max(this.peakActive, this.active);
				permit.granted = true;
			}
			else {
				this.queue.add(permit);
			}
		}
		return permit;
	}

	/** Handshakes running now. */
	public synchronized int active() {
		return this.active;
	}

	/** Most handshakes that ever ran at once. */
	public synchronized int peakActive() {
		return this.peakActive;
	}

	/** Handshakes waiting for a permit. */
	public synchronized int queued() {
		return this.queue.size();
	}

	public int maxConcurrent() {
		return this.maxConcurrent;
	}

	private void releaseOne() {
		Permit next;
		synchronized (this) {
			next = this.queue.poll();
			if (next == null) {
				this.active--;
				return;
			}
			next.granted = true;
		}
		try {
			next.executor.execute(next.onGranted);
		}
		catch (RejectedExecutionException ex) {
			next.release();
		}
	}

	/** A place in the limiter: granted, or waiting in its queue. */
	public final class Permit {

		private final Executor executor;

		private final Runnable onGranted;

		private boolean granted;

		private boolean released;

		private Permit(Executor executor, Runnable onGranted) {
			this.executor = executor;
			this.onGranted = onGranted;
		}

		public boolean isGranted() {
			synchronized (HandshakeLimiter.this) {
				return this.granted && !this.released;
			}
		}

		/** Gives the permit back, or leaves the queue; safe to call more than once. */
		public void release() {
			boolean wasGranted;
			synchronized (HandshakeLimiter.this) {
				if (this.released) {
					return;
				}
				this.released = true;
				wasGranted = this.granted;
				if (!wasGranted) {
					HandshakeLimiter.this.queue.remove(this);
				}
			}
			if (wasGranted) {
				releaseOne();
			}
		}

	}

}
