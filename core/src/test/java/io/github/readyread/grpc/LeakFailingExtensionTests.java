package io.github.readyread.grpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Proves that a leaked buffer fails the build rather than only logging.
 */
class LeakFailingExtensionTests {

	@Test
	void leakDetectionRunsAtParanoid() {
		assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
	}

	@Test
	void leakedBufferIsReportedAsFailure() {
		leak();
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> LeakFailingExtension.assertNoLeaks("leakedBufferIsReportedAsFailure"))
			.withMessageContaining("LEAK");
	}

	private static void leak() {
		ByteBuf buffer = new PooledByteBufAllocator(true).directBuffer(64);
		buffer.writeInt(42);
		// dropped without release on purpose
	}

}
