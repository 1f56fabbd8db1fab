package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof io.github.readyread.grpc.benchmarks.HostStealProfiler}) for
 * the share of the machine's CPU time the hypervisor took away (steal) while each
 * measurement iteration ran: the {@code cpu} line of {@code /proc/stat}, read once before
 * and once after the iteration. On a shared virtual machine a fork that runs while
 * another tenant has the cores loses half its rate or more, and {@code task-clock} counts
 * the stolen time as the task's own (THROUGHPUT-STUDY section 24); this says which forks
 * that was. No figure where {@code /proc/stat} has no steal field (not Linux, or a kernel
 * without it), and none for a fork's last iteration, as {@link ProcessCpuProfiler}.
 */
public final class HostStealProfiler extends IterationWindowProfiler<long[]> {

	/** The secondary metric's name in JMH's results. */
	static final String METRIC = "host.steal";

	/** Index of steal among the {@code cpu} line's fields (user nice system idle ...). */
	private static final int STEAL = 7;

	private static final Path PROC_STAT = Path.of("/proc/stat");

	@Override
	public String getDescription() {
		return "Share of the machine's CPU time stolen by the hypervisor, per measurement iteration";
	}

	@Override
	protected long @Nullable [] read() {
		return machineCpuTimes();
	}

	/**
	 * The machine's CPU times now ({@link #cpuTimes} of {@code /proc/stat}'s first line).
	 * @return the times, or {@code null} where they cannot be read here
	 */
	static long @Nullable [] machineCpuTimes() {
		try {
			List<String> lines = Files.readAllLines(PROC_STAT);
			return lines.isEmpty() ? null : cpuTimes(lines.get(0));
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	@Override
	protected List<? extends Result> figures(long[] before, long[] after, long ops) {
		double percent = stealPercent(before, after);
		return Double.isNaN(percent) ? List.of()
				: List.of(new ScalarResult(METRIC, percent, "%", AggregationPolicy.AVG));
	}

	/**
	 * The times of {@code /proc/stat}'s {@code cpu} line (all CPUs), in clock ticks.
	 * @param line the line,
	 * {@code cpu  user nice system idle iowait irq softirq steal ...}
	 * @return its times, or {@code null} where it is not such a line or has no steal
	 * field
	 */
	static long @Nullable [] cpuTimes(String line) {
		String[] fields = line.trim().split("\\s+");
		if (fields.length < STEAL + 2 || !fields[0].equals("cpu")) {
			return null;
		}
		long[] times = new long[fields.length - 1];
		for (int i = 0; i < times.length; i++) {
			try {
				times[i] = Long.parseLong(fields[i + 1]);
			}
			catch (NumberFormatException ex) {
				return null;
			}
		}
		return times;
	}

	/**
	 * Steal between two readings, as a percentage of all CPU time between them.
	 * @param before the earlier {@link #cpuTimes}
	 * @param after the later one
	 * @return the percentage, NaN where no time passed
	 */
	static double stealPercent(long[] before, long[] after) {
		long total = 0;
		// guest and guest_nice (fields 9 and 10) are already counted in user and nice
		for (int i = 0; i < Math.min(Math.min(before.length, after.length), 8); i++) {
			total += after[i] - before[i];
		}
		return (total > 0) ? 100.0 * (after[STEAL] - before[STEAL]) / total : Double.NaN;
	}

}
