package io.github.readyread.grpc.benchmarks;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Which measurements of a configuration its figures are made of, by the host steal they
 * ran under: one rule for every configuration, decided before the run it applies to
 * (THROUGHPUT-STUDY section 25). A measurement (a JMH fork, a download repetition) during
 * which the hypervisor took more than {@value #BOUND_PERCENT} % of the machine's CPU time
 * measured another tenant of the host as much as the stack, and is left out; where every
 * measurement of a configuration is above the bound, none is left out (the figures are
 * then all of them, and say so). A measurement without a steal figure (no
 * {@code /proc/stat} steal field) is kept.
 *
 * <p>
 * The bound: with the host leaving this machine alone, steal is 0 % whether the vCPUs are
 * idle or one is busy; forks that ran at their usual rate on a loaded machine saw 3.3-8.8
 * %, the slow one among them 30 % (section 24).
 */
final class StealRule {

	/** The most steal, in per cent of the machine's CPU time, a kept measurement saw. */
	static final double BOUND_PERCENT = 10.0;

	private StealRule() {
	}

	/**
	 * The measurements kept.
	 * @param <T> a measurement
	 * @param measurements a configuration's measurements
	 * @param steal a measurement's steal in per cent, NaN where it has none
	 * @return those kept, and how many there were
	 */
	static <T> Kept<T> apply(List<T> measurements, ToDoubleFunction<T> steal) {
		List<T> below = measurements.stream()
			.filter((measurement) -> !(steal.applyAsDouble(measurement) > BOUND_PERCENT))
			.toList();
		return below.isEmpty() ? new Kept<>(measurements, measurements.size(), !measurements.isEmpty())
				: new Kept<>(below, measurements.size(), false);
	}

	/**
	 * How many measurements a configuration's figures are made of, as the tables give it.
	 * @param kept the measurements kept
	 * @param of how many the configuration had
	 * @param allAbove whether every one was above the bound
	 * @return {@code 2/3}, or {@code 3/3 (all above 10 %)} where none could be left out
	 */
	static String describe(int kept, int of, boolean allAbove) {
		return kept + "/" + of + (allAbove ? " (all above " + (int) BOUND_PERCENT + " %)" : "");
	}

	/**
	 * The measurements a configuration's figures are made of.
	 *
	 * @param <T> a measurement
	 * @param kept the measurements kept
	 * @param of how many the configuration had
	 * @param allAbove whether every one was above the bound, so none was left out
	 */
	record Kept<T>(List<T> kept, int of, boolean allAbove) {

		/** {@code 2/3}, or {@code 3/3 (all above)} where none could be left out. */
		String describe() {
			return StealRule.describe(this.kept.size(), this.of, this.allAbove);
		}

	}

}
