package io.github.readyread.grpc.benchmarks;

import java.util.Locale;

/**
 * Netty's leak detector is two detectors in this process: unshaded Netty's (ours) and the
 * copy inside grpc-netty-shaded (stock), whose system property is relocated to
 * {@value #SHADED_PROPERTY}. A comparison in which the two differ is unfair: at Netty's
 * default level, {@code simple}, the detector records a stack trace for one buffer in
 * 128, and {@code -Dio.netty.leakDetection.level=disabled} alone turns off only ours.
 * Every rig checks this before it starts.
 */
final class LeakDetection {

	static final String PROPERTY = "io.netty.leakDetection.level";

	static final String SHADED_PROPERTY = "io.grpc.netty.shaded.io.netty.leakDetection.level";

	private LeakDetection() {
	}

	/**
	 * The level both copies run at, lower case.
	 * @throws IllegalStateException if the two copies of Netty run at different levels
	 */
	static String sameForBoth() {
		return sameForBoth(io.netty.util.ResourceLeakDetector.getLevel().name(),
				io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.getLevel().name());
	}

	static String sameForBoth(String ours, String stock) {
		if (!ours.equals(stock)) {
			throw new IllegalStateException("Netty's leak detector runs at " + ours.toLowerCase(Locale.ROOT)
					+ " for our transport and at " + stock.toLowerCase(Locale.ROOT)
					+ " for grpc-netty-shaded: a comparison between them would be unfair. Set -D" + PROPERTY + " and -D"
					+ SHADED_PROPERTY + " to the same level");
		}
		return ours.toLowerCase(Locale.ROOT);
	}

}
