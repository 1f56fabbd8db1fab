import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.github.readyread.grpc.benchmarks.IterationWindowProfiler;
import io.github.readyread.grpc.benchmarks.MeasuredIterations;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Study tool (THROUGHPUT-STUDY section 23): CPU time per operation of each group of the forked
 * JVM's threads, read from /proc/self/task/TID/schedstat (nanoseconds on the CPU) around every
 * measured iteration. Groups: event loops ("thr.loop", and the two busiest apart as
 * "thr.loop.top0"/"top1"), the benchmark thread ("thr.bench"), the JIT's compiler threads, GC
 * threads, the rest, and all of them ("thr.all", which should match ProcessCpuProfiler's figure).
 * The last measured iteration gives no figures ({@link MeasuredIterations}): the trial's
 * tear-down, which stops a rig's event loops, ends inside it, so its threads would be gone.
 * Build and use (Linux only):
 *   javac -d benchmarks/target/study-classes \
 *     -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
 *     benchmarks/study/ThreadCpuProfiler.java
 *   BENCH_CLASSES=benchmarks/target/classes:benchmarks/target/study-classes JMHX="-prof ThreadCpuProfiler" \
 *     OUT=... N=... SEC=plaintext B='EchoBenchmark.readWrite$' benchmarks/study/rounds.sh ...
 *   python3 benchmarks/study/threads.py OUT
 */
public final class ThreadCpuProfiler extends IterationWindowProfiler<Map<String, Long>> {

	@Override
	public String getDescription() {
		return "CPU time per op of each group of threads (/proc/self/task/*/schedstat), per measured iteration";
	}

	@Override
	protected List<? extends Result> figures(Map<String, Long> before, Map<String, Long> after, long ops) {
		if (ops <= 0) {
			return List.of();
		}
		Map<String, Long> groups = new TreeMap<>();
		List<Long> loops = new ArrayList<>();
		for (Map.Entry<String, Long> task : after.entrySet()) {
			long nanos = task.getValue() - before.getOrDefault(task.getKey(), 0L);
			String group = group(task.getKey().substring(task.getKey().indexOf(':') + 1));
			groups.merge(group, nanos, Long::sum);
			groups.merge("all", nanos, Long::sum);
			if (group.equals("loop")) {
				loops.add(nanos);
			}
		}
		loops.sort((a, b) -> Long.compare(b, a));
		List<Result> results = new ArrayList<>();
		groups.forEach((group, nanos) -> results.add(perOp("thr." + group, nanos, ops)));
		for (int i = 0; i < Math.min(2, loops.size()); i++) {
			results.add(perOp("thr.loop.top" + i, loops.get(i), ops));
		}
		return results;
	}

	private static ScalarResult perOp(String name, long nanos, long ops) {
		return new ScalarResult(name, nanos / 1e3 / ops, "us/op", AggregationPolicy.AVG);
	}

	/** Thread names as the kernel keeps them (15 characters). */
	private static String group(String comm) {
		if (comm.startsWith("C1 ") || comm.startsWith("C2 ")) {
			return "jit";
		}
		if (comm.startsWith("GC ") || comm.startsWith("G1 ")) {
			return "gc";
		}
		if (comm.startsWith("io.github.rea")) {
			return "bench";
		}
		if (comm.startsWith("grpc-")) {
			return "loop";
		}
		return "other";
	}

	/** TID:name to nanoseconds on the CPU, for every thread of this process. */
	@Override
	protected Map<String, Long> read() {
		Map<String, Long> tasks = new HashMap<>();
		try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
			for (Path task : dir) {
				try {
					String comm = Files.readString(task.resolve("comm")).trim();
					long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
					tasks.put(task.getFileName() + ":" + comm, nanos);
				}
				catch (IOException | RuntimeException ex) {
					// the thread ended between the listing and the read
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot read /proc/self/task", ex);
		}
		return tasks;
	}

}
