package io.github.readyread.grpc.alts.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

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

	/**
	 * Run by {@link #acquire} right after it queued a permit, outside the lock; tests
	 * only, {@code null} for none.
	 */
	private @Nullable Runnable afterQueued;

	public HandshakeLimiter(int maxConcurrent) {
		if (maxConcurrent < 1) {
			throw new IllegalArgumentException("maxConcurrent must be positive, was " + maxConcurrent);
		}
		this.maxConcurrent = maxConcurrent;
	}

	/**
	 * Asks for a permit; {@code onGranted} runs exactly once when it is granted: on the
	 * calling thread before this method returns if a permit is free, otherwise later on
	 * {@code executor}. It does not run if the permit is released first, or if
	 * {@code executor} rejects it (the permit then goes to the next in line).
	 */
	public Permit acquire(Executor executor, Consumer<Permit> onGranted) {
		Permit permit = new Permit(executor, onGranted);
		boolean free;
		synchronized (this) {
			free = this.active < this.maxConcurrent;
			if (free) {
				this.active++;
				this.peakActive = Math.max(this.peakActive, this.active);
				permit.granted = true;
			}
			else {
				this.queue.add(permit);
			}
		}
		if (!free) {
			// Once queued, the permit is the releasing thread's to grant and run: it is
			// not looked at again here.
			Runnable afterQueued = this.afterQueued;
			if (afterQueued != null) {
				afterQueued.run();
			}
			return permit;
		}
		onGranted.accept(permit);
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

	/**
	 * Runs {@code afterQueued} in {@link #acquire} each time it has just queued a permit,
	 * outside the lock, where another thread may grant that permit: tests only.
	 */
	void setAfterQueuedForTesting(@Nullable Runnable afterQueued) {
		this.afterQueued = afterQueued;
	}

	private void releaseOne() {
		while (true) {
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
				next.executor.execute(() -> next.onGranted.accept(next));
				return;
			}
			catch (RejectedExecutionException ex) {
				// Its event loop is gone: the permit goes to the next in line, unless its
				// owner released it meanwhile, which passed the place on already.
				synchronized (this) {
					if (next.released) {
						return;
					}
					next.released = true;
					next.granted = false;
				}
			}
		}
	}

	/** A place in the limiter: granted, or waiting in its queue. */
	public final class Permit {

		private final Executor executor;

		private final Consumer<Permit> onGranted;

		private boolean granted;

		private boolean released;

		private Permit(Executor executor, Consumer<Permit> onGranted) {
			this.executor = executor;
			this.onGranted = onGranted;
		}

		/** Whether this permit holds one of the limiter's places now. */
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
