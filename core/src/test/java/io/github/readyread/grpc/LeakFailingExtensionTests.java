package io.github.readyread.grpc;

import java.util.List;
import java.util.UUID;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Proves that a leaked buffer fails the build rather than only logging: each test plants
 * a leak marked with a hint of its own (in the buffer's creation record, which every
 * report has) and looks for that leak's report, never for any report. Reports of other
 * leaks (a test class earlier in the same fork whose leak is collected late) are left
 * alone, so they fail the build as any leak does.
 */
class LeakFailingExtensionTests {

	@Test
	void leakDetectionRunsAtParanoid() {
		assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
	}

	@Test
	void leakedBufferIsReportedAsFailure() {
		String marker = marker();
		leak(marker);
		List<String> mine = LeakFailingExtension.takeLeaksMarked(marker);
		assertThat(mine).as("reports of the leak planted with hint %s", marker)
			.singleElement()
			.asString()
			.startsWith("LEAK ")
			.contains(marker);
		assertThat(LeakFailingExtension.failure(mine, "leakedBufferIsReportedAsFailure"))
			.hasMessageStartingWith("1 Netty buffer leak(s) detected by the end of leakedBufferIsReportedAsFailure")
			.hasMessageContaining(marker);
		if (Integer.getInteger(LeakFailingExtension.TARGET_RECORDS, 4) == 0) {
			assertThat(LeakFailingExtension.failure(mine, "leakedBufferIsReportedAsFailure"))
				.as("how to see where the buffer was used, when access records are off")
				.hasMessageContaining("-Dleak.records=8");
		}
	}

	@Test
	void aLeakFailsTheClassThatLeftIt() {
		String marker = marker();
		leak(marker);
		assertThat(LeakFailingExtension.awaitLeakMarked(marker)).as("leak %s reported", marker).isTrue();
		// What afterAll runs. "1 leak": a report another class left pending fails here
		// too, so none is swallowed.
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> LeakFailingExtension.assertNoLeaks("aLeakFailsTheClassThatLeftIt"))
			.withMessageStartingWith("1 Netty buffer leak(s) detected by the end of aLeakFailsTheClassThatLeftIt")
			.withMessageContaining(marker);
	}

	@Test
	void takingItsOwnLeakLeavesEveryOtherReportToFailTheBuild() {
		String other = marker();
		String mine = marker();
		leak(other);
		leak(mine);
		assertThat(LeakFailingExtension.awaitLeakMarked(other)).as("leak %s reported", other).isTrue();
		assertThat(LeakFailingExtension.takeLeaksMarked(mine)).singleElement().asString().contains(mine);
		assertThat(LeakFailingExtension.pendingLeaks()).as("reports left after taking %s", mine)
			.anyMatch((leak) -> leak.contains(other))
			.noneMatch((leak) -> leak.contains(mine));
		// Taken here so that this class passes; any other report still fails it.
		assertThat(LeakFailingExtension.takeLeaksMarked(other)).singleElement().asString().contains(other);
	}

	@Test
	void aReportNamesTheTestClassThatWasRunningWhenTheBufferWasAllocated() {
		// Unmarked: the only leak of this class without a marker of its own.
		leakUnmarked();
		String hint = LeakFailingExtension.hintFor(LeakFailingExtensionTests.class);
		assertThat(LeakFailingExtension.takeLeaksMarked(hint)).as("reports of a leak allocated in this class")
			.singleElement()
			.asString()
			.startsWith("LEAK ");
	}

	/** A buffer dropped without release, its creation record left to the extension. */
	private static void leakUnmarked() {
		ByteBuf buffer = new PooledByteBufAllocator(true).directBuffer(64);
		buffer.writeInt(42);
		// dropped without release on purpose
	}

	private static String marker() {
		return "planted by LeakFailingExtensionTests " + UUID.randomUUID();
	}

	/**
	 * A buffer dropped without release, its creation record marked with {@code marker}
	 * (access records may be off).
	 */
	private static void leak(String marker) {
		LeakFailingExtension.withCreationHint(marker, () -> {
			ByteBuf buffer = new PooledByteBufAllocator(true).directBuffer(64);
			buffer.writeInt(42);
			// dropped without release on purpose
		});
	}

}
