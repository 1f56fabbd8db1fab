package io.github.readyread.grpc;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer.
 *
 * <p>
 * Registered for every test class through JUnit's extension auto-detection. It replaces
 * Netty's leak detector factory before any buffer class is initialised, so every report
 * is recorded here as well as logged; after each class it collects garbage, provokes the
 * detector and throws if anything was reported. Surefire runs with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 */
public final class LeakFailingExtension implements AfterAllCallback {

	private static final List<String> leaks = new CopyOnWriteArrayList<>();

	static {
		ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
	}

	@Override
	public void afterAll(ExtensionContext context) {
		assertNoLeaks(context.getDisplayName());
	}

	/** Collects garbage, lets the detector look, and throws if a leak was reported. */
	public static void assertNoLeaks(String where) {
		for (int i = 0; i < 3; i++) {
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
				break;
			}
		}
		if (!leaks.isEmpty()) {
			List<String> found = List.copyOf(leaks);
			leaks.clear();
			throw new AssertionError(found.size() + " Netty buffer leak(s) detected by the end of " + where + ":\n"
					+ String.join("\n\n", found));
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
