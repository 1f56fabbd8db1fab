package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.util.ListStatistics;

/**
 * The JMH figures of a run, from one or more JMH result files ({@code jmh-ROUND.json} or
 * {@code jmh-ROUND-PART.json}, one per invocation): {@code benchmarks/run.sh} runs, in
 * each round, one fork of each benchmark and security per configuration, one JMH
 * invocation per configuration ({@code jmh-ROUND-PART.json}), so the forks of ready and
 * stock go round together rather than one configuration's forks after the other's, and a
 * slow spell of a shared machine falls on both. The forks of one benchmark and parameters
 * are pooled here as JMH pools the forks of one invocation: the score is the mean over
 * all forks' measurement iterations and the error its 99.9% confidence half-interval
 * ({@link ListStatistics#getMeanErrorAt}, what JMH reports as the score error). Profiler
 * figures that JMH gives once per fork ({@code perfnorm}) are pooled over the forks the
 * same way. Only the results {@link StealRule} keeps are pooled: in {@code run.sh}'s
 * invocations a result is one fork, and a fork the host took more than the rule's bound
 * from is left out of every figure of its configuration.
 *
 * <p>
 * Per key {@code method-config-security}: ops/s, heap B/op, pool B/op, ops/s error, CPU
 * ms/op, its error, syscalls/op, its error, CPU ms/op per iteration
 * ({@link ProcessCpuProfiler}), its error, host steal % per iteration
 * ({@link HostStealProfiler}), its error (NaN where not measured), the results kept, the
 * results there were, whether all were above the steal bound (1) or not (0), ops/s over
 * all results whatever their steal, its error.
 */
final class JmhFigures {

	/** Indices of the figures {@link #load} gives after the twelve described above. */
	static final int KEPT = 12;

	static final int OF = 13;

	static final int ALL_ABOVE = 14;

	static final int OPS_ALL = 15;

	static final int OPS_ALL_ERROR = 16;

	private static final double CONFIDENCE = 0.999;

	/** {@code jmh.json}, {@code jmh-ROUND.json} or {@code jmh-ROUND-PART.json}. */
	private static final Pattern RESULT_FILE = Pattern.compile("jmh(?:-(\\d+)(?:-(\\d+))?)?\\.json");

	/**
	 * Metrics of profilers that give no figure for a fork's last iteration
	 * ({@link MeasuredIterations}): JMH 1.37 counts the missing figure as 0 in their
	 * score and error, so they are always pooled from the iterations they gave.
	 */
	private static final Set<String> PER_ITERATION_PROFILERS = Set.of(ProcessCpuProfiler.METRIC,
			HostStealProfiler.METRIC);

	private JmhFigures() {
	}

	static Map<String, double[]> load(Path dir) throws IOException {
		Map<String, double[]> figures = new LinkedHashMap<>();
		results(dir).forEach((key, forks) -> figures.put(key, figures(forks)));
		return figures;
	}

	/**
	 * Per key, the mean ops/s of each round in turn (the results of its files together):
	 * one figure per round of forks (NaN where a round has none, or its fork was left out
	 * by {@link StealRule}).
	 */
	static Map<String, double[]> rounds(Path dir) throws IOException {
		List<List<JsonObject>> perRound = readAll(files(dir));
		Set<JsonObject> kept = Collections.newSetFromMap(new IdentityHashMap<>());
		byKey(perRound).values().forEach((results) -> kept.addAll(StealRule.apply(results, JmhFigures::steal).kept()));
		Map<String, double[]> rounds = new LinkedHashMap<>();
		for (int round = 0; round < perRound.size(); round++) {
			for (JsonObject result : perRound.get(round)) {
				double[] figures = rounds.computeIfAbsent(key(result), (key) -> {
					double[] empty = new double[perRound.size()];
					Arrays.fill(empty, Double.NaN);
					return empty;
				});
				figures[round] = kept.contains(result) ? meanOps(result) : Double.NaN;
			}
		}
		return rounds;
	}

	/**
	 * The host steal a result ran under: the mean of its {@link HostStealProfiler}
	 * figures, NaN where it has none.
	 */
	static double steal(JsonObject result) {
		JsonObject steal = metricOf(result, HostStealProfiler.METRIC);
		if (steal == null || !steal.has("rawData")) {
			return Double.NaN;
		}
		List<Double> iterations = iterations(steal);
		return iterations.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
	}

	/**
	 * Mean ops/s over one result's measurement iterations (its score where it has none).
	 */
	private static double meanOps(JsonObject result) {
		return iterations(result.getAsJsonObject("primaryMetric")).stream()
			.mapToDouble(Double::doubleValue)
			.average()
			.orElse(Double.NaN);
	}

	/**
	 * A metric's measurement iterations over its forks, or its score alone where JMH
	 * keeps no iterations (one figure per fork).
	 */
	private static List<Double> iterations(JsonObject figures) {
		List<Double> iterations = new ArrayList<>();
		if (figures.has("rawData")) {
			for (JsonElement fork : figures.getAsJsonArray("rawData")) {
				for (JsonElement iteration : fork.getAsJsonArray()) {
					iterations.add(iteration.getAsDouble());
				}
			}
		}
		if (iterations.isEmpty()) {
			iterations.add(Report.value(figures, "score"));
		}
		return iterations;
	}

	/** The results of every {@code jmh-*.json} in {@code dir}, per key, in file order. */
	private static Map<String, List<JsonObject>> results(Path dir) throws IOException {
		return byKey(readAll(files(dir)));
	}

	/**
	 * The results of each round, in the rounds' order: those of its files, in the files'
	 * order.
	 */
	private static List<List<JsonObject>> readAll(List<Path> files) throws IOException {
		Map<Integer, List<JsonObject>> perRound = new LinkedHashMap<>();
		for (Path file : files) {
			perRound.computeIfAbsent(round(file)[0], (round) -> new ArrayList<>()).addAll(read(file));
		}
		return new ArrayList<>(perRound.values());
	}

	/** Results per key, in the order of the rounds and within each round. */
	private static Map<String, List<JsonObject>> byKey(List<List<JsonObject>> perRound) {
		Map<String, List<JsonObject>> results = new LinkedHashMap<>();
		for (List<JsonObject> round : perRound) {
			for (JsonObject result : round) {
				results.computeIfAbsent(key(result), (k) -> new ArrayList<>()).add(result);
			}
		}
		return results;
	}

	/**
	 * The {@code jmh.json}, {@code jmh-ROUND.json} and {@code jmh-ROUND-PART.json} files
	 * in {@code dir}, by round and part (numerically: round 10 after round 9).
	 */
	private static List<Path> files(Path dir) throws IOException {
		try (Stream<Path> listed = Files.list(dir)) {
			return listed.filter((file) -> RESULT_FILE.matcher(file.getFileName().toString()).matches())
				.sorted(Comparator.comparingInt((Path file) -> round(file)[0])
					.thenComparingInt((file) -> round(file)[1]))
				.toList();
		}
	}

	/** A result file's round and part (0 where its name has none). */
	private static int[] round(Path file) {
		Matcher matcher = RESULT_FILE.matcher(file.getFileName().toString());
		if (!matcher.matches()) {
			throw new IllegalArgumentException("Not a JMH result file: " + file);
		}
		return new int[] { number(matcher.group(1)), number(matcher.group(2)) };
	}

	private static int number(@Nullable String digits) {
		return (digits != null) ? Integer.parseInt(digits) : 0;
	}

	private static List<JsonObject> read(Path file) throws IOException {
		List<JsonObject> results = new ArrayList<>();
		for (JsonElement element : JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
			results.add(element.getAsJsonObject());
		}
		return results;
	}

	/** {@code method-config-security}. */
	private static String key(JsonObject result) {
		String method = result.get("benchmark").getAsString().replaceAll(".*\\.", "");
		JsonObject params = result.getAsJsonObject("params");
		return method + "-" + params.get("config").getAsString() + "-" + params.get("security").getAsString();
	}

	private static double[] figures(List<JsonObject> all) {
		StealRule.Kept<JsonObject> kept = StealRule.apply(all, JmhFigures::steal);
		List<JsonObject> results = kept.kept();
		double[] ops = pooled(results, null);
		double[] heap = pooled(results, "gc.alloc.rate.norm");
		// poolBytes is a rate over the same iterations as the primary metric
		double[] pool = pooled(results, "poolBytes");
		// perfnorm: whole-process counts (client, server, JMH) divided by operations;
		// task-clock is in milliseconds
		double[] cpu = pooled(results, "task-clock");
		double[] syscalls = pooled(results, "raw_syscalls:sys_enter");
		// ProcessCpuProfiler: the same CPU time, one figure per measurement iteration
		double[] cpuPerIteration = pooled(results, ProcessCpuProfiler.METRIC);
		// HostStealProfiler: the machine's CPU time the hypervisor took, per iteration
		double[] steal = pooled(results, HostStealProfiler.METRIC);
		// what ops/s would have been with every result, for comparison
		double[] opsAll = pooled(all, null);
		return new double[] { ops[0], heap[0], pool[0] / ops[0], ops[1], cpu[0], cpu[1], syscalls[0], syscalls[1],
				cpuPerIteration[0], cpuPerIteration[1], steal[0], steal[1], results.size(), kept.of(),
				kept.allAbove() ? 1 : 0, opsAll[0], opsAll[1] };
	}

	/**
	 * Mean and error of one metric ({@code null}: the primary one) over the results: one
	 * result as JMH wrote it; several pooled from their iterations, or from their scores
	 * where JMH keeps no iterations (one figure per fork).
	 */
	private static double[] pooled(List<JsonObject> results, @Nullable String metric) {
		if (results.size() == 1 && (metric == null || !PER_ITERATION_PROFILERS.contains(metric))) {
			JsonObject only = metricOf(results.get(0), metric);
			return (only != null) ? new double[] { Report.value(only, "score"), Report.value(only, "scoreError") }
					: new double[] { Double.NaN, Double.NaN };
		}
		List<Double> values = new ArrayList<>();
		for (JsonObject result : results) {
			JsonObject figures = metricOf(result, metric);
			if (figures == null) {
				return new double[] { Double.NaN, Double.NaN };
			}
			values.addAll(iterations(figures));
		}
		ListStatistics statistics = new ListStatistics(values.stream().mapToDouble(Double::doubleValue).toArray());
		return new double[] { statistics.getMean(),
				(values.size() > 1) ? statistics.getMeanErrorAt(CONFIDENCE) : Double.NaN };
	}

	private static @Nullable JsonObject metricOf(JsonObject result, @Nullable String metric) {
		if (metric == null) {
			return result.getAsJsonObject("primaryMetric");
		}
		JsonObject secondary = result.getAsJsonObject("secondaryMetrics");
		return (secondary != null && secondary.has(metric)) ? secondary.getAsJsonObject(metric) : null;
	}

}
