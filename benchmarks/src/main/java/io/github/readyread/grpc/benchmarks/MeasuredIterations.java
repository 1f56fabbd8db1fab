package io.github.readyread.grpc.benchmarks;

import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Which of a fork's iterations a JMH profiler may report a figure for, read at each
 * iteration's end: its measurement iterations but the last. JMH runs the trial's
 * tear-down (the rig's servers, channels and event loops closed) before the profilers'
 * end of a fork's last iteration, so what a profiler reads around that one holds the
 * tear-down too (THROUGHPUT-STUDY section 23). One instance per profiler, that is per
 * fork; a warm-up iteration starts the count again.
 */
public final class MeasuredIterations {

	/** Measurement iterations of this fork ended so far. */
	private int ended;

	/**
	 * Counts an iteration that has just ended.
	 * @param iteration the iteration's parameters, as JMH hands them to the profiler
	 * @return whether it is a measurement iteration other than the fork's last
	 */
	public boolean reportable(IterationParams iteration) {
		if (iteration.getType() != IterationType.MEASUREMENT) {
			this.ended = 0;
			return false;
		}
		this.ended++;
		return this.ended < iteration.getCount();
	}

}
