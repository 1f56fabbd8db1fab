package io.github.readyread.grpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer.
 *
 * <p>
 * Registered for every test class through JUnit's extension auto-detection. It replaces
 * Netty's leak detector factory before any buffer class is initialised, so every report
 * is recorded here as well as logged; after each class it collects garbage, provokes the
 * detector and throws if anything was reported. Surefire runs with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked and every
 * report names where the leaked buffer was allocated. Where it was used after that (its
 * access records, one stack trace per touch, the costliest part of PARANOID) is recorded
 * only when asked for: {@code -Dleak.records=8} on the Maven command line.
 */
public final class LeakFailingExtension implements BeforeAllCallback, AfterAllCallback {

	/** Rounds of garbage collection a test of this extension waits for its leak. */
	static final int ROUNDS = 50;

	private static final List<String> leaks = new CopyOnWriteArrayList<>();

	/** Netty's property for the number of access records kept per tracked buffer. */
	static final String TARGET_RECORDS = "io.netty.leakDetection.targetRecords";

	/** The hint the creation record of a buffer allocated on this thread gets. */
	private static final ThreadLocal<String> creationHint = new ThreadLocal<>();

	/**
	 * The hint of every other buffer's creation record: the test class running when it
	 * was allocated (on any thread: a fork runs one class at a time). It names the class
	 * in a report, and keeps two classes' leaks from one allocation site apart (Netty
	 * reports a record text once).
	 */
	private static volatile String runningClass = "no test class yet";

	@Override
	public void beforeAll(ExtensionContext context) {
		runningClass = hintFor(context.getRequiredTestClass());
	}

	static {
		ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
	}

	@Override
	public void afterAll(ExtensionContext context) {
		assertNoLeaks(context.getDisplayName());
	}

	/** Collects garbage, lets the detector look, and throws if a leak was reported. */
	public static void assertNoLeaks(String where) {
		provoke(3);
		List<String> found = take((leak) -> true);
		if (!found.isEmpty()) {
			throw failure(found, where);
		}
	}

	/**
	 * For tests of this extension: waits (up to {@value #ROUNDS} rounds of garbage
	 * collection) until a leak whose records contain {@code marker} (a hint given with
	 * {@code touch}) is reported, then takes the reports that contain it and only those.
	 * Every other report stays, to fail the class as any leak does.
	 * @param marker text unique to the leak looked for
	 * @return the reports that contain {@code marker}, empty if none was reported
	 */
	static List<String> takeLeaksMarked(String marker) {
		awaitLeakMarked(marker);
		return take((leak) -> leak.contains(marker));
	}

	/**
	 * For tests of this extension: waits (up to {@value #ROUNDS} rounds of garbage
	 * collection) until a leak whose records contain {@code marker} is reported, and
	 * takes nothing.
	 * @param marker text unique to the leak looked for
	 * @return whether it was reported
	 */
	static boolean awaitLeakMarked(String marker) {
		for (int round = 0; round < ROUNDS; round++) {
			if (leaks.stream().anyMatch((leak) -> leak.contains(marker))) {
				return true;
			}
			provoke(1);
		}
		return leaks.stream().anyMatch((leak) -> leak.contains(marker));
	}

	/**
	 * For tests of this extension: runs {@code allocation} with {@code hint} in the
	 * creation record of every buffer it allocates, which a report of that buffer's leak
	 * shows whether access records are kept or not.
	 * @param hint the hint
	 * @param allocation what allocates the buffers
	 */
	static void withCreationHint(String hint, Runnable allocation) {
		creationHint.set(hint);
		try {
			allocation.run();
		}
		finally {
			creationHint.remove();
		}
	}

	/**
	 * The creation hint of buffers allocated while {@code testClass} runs.
	 * @param testClass the test class
	 * @return the hint
	 */
	static String hintFor(Class<?> testClass) {
		return "allocated while " + testClass.getName() + " ran";
	}

	/** For tests of this extension: the reports not taken yet. */
	static List<String> pendingLeaks() {
		return List.copyOf(leaks);
	}

	/** The error {@link #assertNoLeaks} throws for {@code found}. */
	static AssertionError failure(List<String> found, String where) {
		String records = (Integer.getInteger(TARGET_RECORDS, 4) > 0) ? ""
				: "\n(Access records are off, so each report shows only where the buffer was allocated: run again"
						+ " with -Dleak.records=8 to see where it was last used.)";
		return new AssertionError(found.size() + " Netty buffer leak(s) detected by the end of " + where + ":\n"
				+ String.join("\n\n", found) + records);
	}

	private static List<String> take(Predicate<String> which) {
		List<String> taken = new ArrayList<>();
		for (String leak : leaks) {
			if (which.test(leak) && leaks.remove(leak)) {
				taken.add(leak);
			}
		}
		return taken;
	}

	/** Collects garbage and has the detector poll its queue, {@code rounds} times. */
	private static void provoke(int rounds) {
		for (int i = 0; i < rounds; i++) {
			System.gc();
			System.runFinalization();
			// The detector polls its reference queue when a new buffer is tracked.
			ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.directBuffer(1);
			probe.release();
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private static final class RecordingFactory extends ResourceLeakDetectorFactory {

		@Override
		@SuppressWarnings("deprecation")
		public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
				long maxActive) {
			return new RecordingDetector<>(resource, samplingInterval);
		}

	}

	private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

		RecordingDetector(Class<T> resource, int samplingInterval) {
			super(resource, samplingInterval);
		}

		@Override
		protected Object getInitialHint(String resourceType) {
			String planted = creationHint.get();
			return (planted != null) ? planted : runningClass;
		}

		@Override
		protected void reportTracedLeak(String resourceType, String records) {
			leaks.add("LEAK " + resourceType + records);
			super.reportTracedLeak(resourceType, records);
		}

		@Override
		protected void reportUntracedLeak(String resourceType) {
			leaks.add("LEAK " + resourceType + " (untraced)");
			super.reportUntracedLeak(resourceType);
		}

	}

}
