package io.github.readyread.grpc.benchmarks;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link LeakDetection}: a rig refuses to start while the two copies of Netty
 * in the process run their leak detectors at different levels.
 */
class LeakDetectionTests {

	@Test
	void aRigRefusesToStartWhileOnlyOneCopyOfNettyHasItsLeakDetectorOff() {
		ResourceLeakDetector.Level ours = ResourceLeakDetector.getLevel();
		io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level stock = io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector
			.getLevel();
		try {
			ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
			io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector
				.setLevel(io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.SIMPLE);
			assertThatIllegalStateException().isThrownBy(() -> Rig.create(Config.STOCK, Security.PLAINTEXT, null))
				.withMessageContaining("disabled for our transport and at simple for grpc-netty-shaded")
				.withMessageContaining("-Dio.grpc.netty.shaded.io.netty.leakDetection.level");

			io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector
				.setLevel(io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.DISABLED);
			try (Rig rig = Rig.create(Config.STOCK, Security.PLAINTEXT, null)) {
				assertThat(LeakDetection.sameForBoth()).isEqualTo("disabled");
			}
		}
		finally {
			ResourceLeakDetector.setLevel(ours);
			io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.setLevel(stock);
		}
	}

}
