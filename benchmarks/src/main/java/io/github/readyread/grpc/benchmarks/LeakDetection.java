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
		String ours = ours();
		String stock = stock();
		if (!ours.equals(stock)) {
			throw new IllegalStateException("Netty's leak detector runs at " + ours + " for our transport and at "
					+ stock + " for grpc-netty-shaded: a comparison between them would be unfair. Set -D" + PROPERTY
					+ " and -D" + SHADED_PROPERTY + " to the same level");
		}
		return ours;
	}

	/**
	 * Both levels, for the report:
	 * {@code "disabled (ours), disabled (grpc-netty-shaded)"}.
	 */
	static String describe() {
		return ours() + " (ours), " + stock() + " (grpc-netty-shaded)";
	}

	private static String ours() {
		return io.netty.util.ResourceLeakDetector.getLevel().name().toLowerCase(Locale.ROOT);
	}

	private static String stock() {
		return io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.getLevel().name().toLowerCase(Locale.ROOT);
	}

}
