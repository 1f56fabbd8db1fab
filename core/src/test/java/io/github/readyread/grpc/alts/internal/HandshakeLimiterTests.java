package io.github.readyread.grpc.alts.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link HandshakeLimiter}, driven directly with executors the tests control.
 */
class HandshakeLimiterTests {

	private final ManualExecutor executor = new ManualExecutor();

	@Test
	void aFreePermitRunsOnGrantedInlineExactlyOnce() {
		HandshakeLimiter limiter = new HandshakeLimiter(2);
		AtomicInteger granted = new AtomicInteger();
		HandshakeLimiter.Permit permit = limiter.acquire(this.executor, (p) -> granted.incrementAndGet());
		assertThat(granted).hasValue(1);
		assertThat(this.executor.tasks).isEmpty();
		assertThat(permit.isGranted()).isTrue();
		assertThat(limiter.active()).isEqualTo(1);
		permit.release();
		assertThat(limiter.active()).isZero();
	}

	@Test
	void onGrantedReceivesItsOwnPermit() {
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		List<HandshakeLimiter.Permit> seen = new ArrayList<>();
		HandshakeLimiter.Permit first = limiter.acquire(this.executor, seen::add);
		HandshakeLimiter.Permit second = limiter.acquire(this.executor, seen::add);
		first.release();
		this.executor.runAll();
		assertThat(seen).containsExactly(first, second);
		second.release();
	}

	@Test
	void waitingHandshakesAreGrantedInArrivalOrderOnTheirExecutor() {
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		List<String> order = new ArrayList<>();
		HandshakeLimiter.Permit running = limiter.acquire(this.executor, (p) -> order.add("a"));
		HandshakeLimiter.Permit b = limiter.acquire(this.executor, (p) -> order.add("b"));
		HandshakeLimiter.Permit c = limiter.acquire(this.executor, (p) -> order.add("c"));
		assertThat(limiter.queued()).isEqualTo(2);
		assertThat(b.isGranted()).isFalse();
		running.release();
		// Granted under the limiter's lock, run later by the permit's executor.
		assertThat(b.isGranted()).isTrue();
		assertThat(order).containsExactly("a");
		this.executor.runAll();
		assertThat(order).containsExactly("a", "b");
		b.release();
		this.executor.runAll();
		assertThat(order).containsExactly("a", "b", "c");
		c.release();
		assertThat(limiter.active()).isZero();
		assertThat(limiter.queued()).isZero();
		assertThat(limiter.peakActive()).isEqualTo(1);
	}

	@Test
	void aWaitingHandshakeThatGivesUpLeavesTheQueue() {
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		AtomicInteger granted = new AtomicInteger();
		HandshakeLimiter.Permit running = limiter.acquire(this.executor, (p) -> {
		});
		HandshakeLimiter.Permit gaveUp = limiter.acquire(this.executor, (p) -> granted.incrementAndGet());
		gaveUp.release();
		assertThat(limiter.queued()).isZero();
		running.release();
		this.executor.runAll();
		assertThat(granted).hasValue(0);
		assertThat(limiter.active()).isZero();
	}

	@Test
	void aRejectedExecutorPassesThePermitOnToTheNextInLine() {
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		AtomicInteger deadGranted = new AtomicInteger();
		AtomicInteger nextGranted = new AtomicInteger();
		HandshakeLimiter.Permit running = limiter.acquire(this.executor, (p) -> {
		});
		Executor shutDown = (task) -> {
			throw new RejectedExecutionException("event loop shut down");
		};
		HandshakeLimiter.Permit dead = limiter.acquire(shutDown, (p) -> deadGranted.incrementAndGet());
		HandshakeLimiter.Permit next = limiter.acquire(this.executor, (p) -> nextGranted.incrementAndGet());
		running.release();
		this.executor.runAll();
		assertThat(deadGranted).hasValue(0);
		assertThat(dead.isGranted()).isFalse();
		assertThat(nextGranted).hasValue(1);
		assertThat(limiter.active()).isEqualTo(1);
		next.release();
		assertThat(limiter.active()).isZero();
		assertThat(limiter.queued()).isZero();
	}

	@Test
	void aPermitItsOwnerReleasesWhileItsExecutorRejectsTheGrantPassesItsPlaceOnOnce() {
		// A dying event loop: its closing channel releases the permit after the limiter
		// granted it and before the loop's execute rejects the grant (the owner's release
		// passes the place on; the rejection must not pass it on again).
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		HandshakeLimiter.Permit running = limiter.acquire(this.executor, (p) -> {
		});
		HandshakeLimiter.Permit[] dying = new HandshakeLimiter.Permit[1];
		Executor shuttingDown = (task) -> {
			dying[0].release();
			throw new RejectedExecutionException("event loop shut down");
		};
		dying[0] = limiter.acquire(shuttingDown, (p) -> {
		});
		HandshakeLimiter.Permit second = limiter.acquire(this.executor, (p) -> {
		});
		HandshakeLimiter.Permit third = limiter.acquire(this.executor, (p) -> {
		});
		running.release();
		this.executor.runAll();
		assertThat(second.isGranted()).isTrue();
		assertThat(third.isGranted()).isFalse();
		assertThat(limiter.active()).isEqualTo(1);
		assertThat(limiter.queued()).isEqualTo(1);
		second.release();
		this.executor.runAll();
		assertThat(third.isGranted()).isTrue();
		third.release();
		assertThat(limiter.active()).isZero();
		assertThat(limiter.queued()).isZero();
	}

	@Test
	void aPermitGrantedByAnotherThreadRightAfterItQueuedRunsOnGrantedOnce() throws Exception {
		// The interleaving that started handshakes twice: acquire queues, another event
		// loop releases the running permit before acquire's caller looks at its permit.
		// The hook runs in acquire right after it queued, outside the lock: the other
		// loop releases there, and acquire returns only once that release is done.
		HandshakeLimiter limiter = new HandshakeLimiter(1);
		HandshakeLimiter.Permit running = limiter.acquire(this.executor, (p) -> {
		});
		AtomicInteger granted = new AtomicInteger();
		AtomicInteger queuedWhenReleased = new AtomicInteger(-1);
		AtomicInteger grantedInsideAcquire = new AtomicInteger(-1);
		// The granted permit's callback runs on the releasing thread, at once.
		Executor afterRelease = Runnable::run;
		ExecutorService otherLoop = Executors.newSingleThreadExecutor();
		try {
			limiter.setAfterQueuedForTesting(() -> {
				try {
					otherLoop.submit(() -> {
						queuedWhenReleased.set(limiter.queued());
						running.release();
					}).get(10, TimeUnit.SECONDS);
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
				grantedInsideAcquire.set(granted.get());
			});
			HandshakeLimiter.Permit permit = limiter.acquire(afterRelease, (p) -> granted.incrementAndGet());
			assertThat(queuedWhenReleased).as("permits queued when the other loop released").hasValue(1);
			assertThat(grantedInsideAcquire).as("onGranted runs on the other loop, before acquire returns").hasValue(1);
			assertThat(granted).as("onGranted runs").hasValue(1);
			assertThat(permit.isGranted()).isTrue();
			permit.release();
		}
		finally {
			otherLoop.shutdownNow();
		}
		assertThat(granted).hasValue(1);
		assertThat(limiter.active()).isZero();
	}

	@Test
	void everyPermitRunsOnGrantedExactlyOnceUnderContention() throws Exception {
		HandshakeLimiter limiter = new HandshakeLimiter(3);
		int handshakes = 2000;
		AtomicInteger[] runs = new AtomicInteger[handshakes];
		ExecutorService loops = Executors.newFixedThreadPool(4);
		CountDownLatch allDone = new CountDownLatch(handshakes);
		try {
			for (int i = 0; i < handshakes; i++) {
				AtomicInteger count = new AtomicInteger();
				runs[i] = count;
				loops.execute(() -> limiter.acquire(loops, (p) -> {
					count.incrementAndGet();
					// finish the handshake on another task, as a handler does
					loops.execute(() -> {
						p.release();
						allDone.countDown();
					});
				}));
			}
			assertThat(allDone.await(30, TimeUnit.SECONDS)).isTrue();
		}
		finally {
			loops.shutdown();
			assertThat(loops.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		}
		for (AtomicInteger count : runs) {
			assertThat(count).hasValue(1);
		}
		assertThat(limiter.active()).isZero();
		assertThat(limiter.queued()).isZero();
		assertThat(limiter.peakActive()).isBetween(1, 3);
	}

	@Test
	void maxConcurrentMustBePositive() {
		assertThatIllegalArgumentException().isThrownBy(() -> new HandshakeLimiter(0));
	}

	/** Runs its tasks only when the test says so. */
	private static final class ManualExecutor implements Executor {

		private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

		@Override
		public void execute(Runnable task) {
			this.tasks.add(task);
		}

		void runAll() {
			Runnable task;
			while ((task = this.tasks.poll()) != null) {
				task.run();
			}
		}

	}

}
