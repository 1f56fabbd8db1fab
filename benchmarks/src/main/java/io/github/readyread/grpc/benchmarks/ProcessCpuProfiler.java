package io.github.readyread.grpc.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.List;

import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof io.github.readyread.grpc.benchmarks.ProcessCpuProfiler}) for
 * the CPU time of the whole forked JVM per operation, one figure per measurement
 * iteration: the process's CPU time, read once before and once after each iteration
 * (nothing per operation, so no system call is added to what is measured), over the
 * iteration's operations. {@code perfnorm}'s {@code task-clock} counts the same CPU time
 * once per fork, so over 3 forks its 99.9% interval is too wide to state a ratio; this
 * one has an interval over every iteration of every fork, as the ops/s score does.
 * <p>
 * A fork's last measurement iteration gives no figure: its CPU time would hold the
 * trial's tear-down too ({@link MeasuredIterations}).
 */
public final class ProcessCpuProfiler extends IterationWindowProfiler<Long> {

	/** The secondary metric's name in JMH's results. */
	static final String METRIC = "cpu.time.norm";

	private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
		.getOperatingSystemMXBean();

	@Override
	public String getDescription() {
		return "CPU time of the process per operation, per measurement iteration";
	}

	@Override
	protected Long read() {
		return this.os.getProcessCpuTime();
	}

	@Override
	protected List<? extends Result> figures(Long before, Long after, long ops) {
		long cpuNanos = after - before;
		if (ops <= 0 || cpuNanos < 0) {
			return List.of();
		}
		return List.of(new ScalarResult(METRIC, cpuNanos / 1e6 / ops, "ms/op", AggregationPolicy.AVG));
	}

}
