package io.github.readyread.grpc.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link JmhFigures}: forks written by separate JMH invocations are pooled as
 * JMH pools the forks of one.
 */
class JmhFiguresTests {

	// Three forks of four iterations, as JMH 1.37 wrote them for ready, readWrite,
	// plaintext in one invocation (-f 3): its score and error over all twelve.
	private static final double[][] FORKS = { { 8657, 8377, 8250, 7839 }, { 8509, 8546, 8550, 8347 },
			{ 8559, 7665, 8325, 8725 } };

	private static final double JMH_SCORE = 8362.4167;

	private static final double JMH_ERROR = 408.65;

	private static final double POOL_BYTES_RATE = 8000;

	private static final double[] PERFNORM_CPU_PER_FORK = { 0.101, 0.104, 0.110 };

	@TempDir
	Path dir;

	@Test
	void forksOfSeparateInvocationsArePooledAsJmhPoolsTheForksOfOne() throws Exception {
		for (int fork = 0; fork < FORKS.length; fork++) {
			Files.writeString(this.dir.resolve("jmh-" + (fork + 1) + ".json"),
					"[" + result("NaN", "NaN", rawData(FORKS[fork]), PERFNORM_CPU_PER_FORK[fork]) + "]");
		}

		double[] figures = JmhFigures.load(this.dir).get("readWrite-ready-plaintext");

		assertThat(figures[0]).isCloseTo(JMH_SCORE, within(0.01));
		assertThat(figures[3]).isCloseTo(JMH_ERROR, within(0.5));
		// perfnorm gives one figure per fork: their mean, and an error from the three
		assertThat(figures[4]).isCloseTo(0.105, within(1e-9));
		// the 99.9% half-interval of that mean: Student's t at 0.9995 with 2 degrees of
		// freedom (31.5991, from the tables) times the standard deviation over root 3
		double sd = Math
			.sqrt((Math.pow(0.101 - 0.105, 2) + Math.pow(0.104 - 0.105, 2) + Math.pow(0.110 - 0.105, 2)) / 2);
		assertThat(figures[5]).isCloseTo(31.5991 * sd / Math.sqrt(3), within(1e-5));
		// ProcessCpuProfiler's figure per iteration: pooled over all twelve iterations,
		// as ops/s is (mean 0.105, each fork's four iterations x, x+0.002, x-0.002, x)
		assertThat(figures[8]).isCloseTo(0.105, within(1e-9));
		double[] perIteration = new double[12];
		for (int fork = 0; fork < 3; fork++) {
			double cpu = PERFNORM_CPU_PER_FORK[fork];
			double[] iterations = { cpu, cpu + 0.002, cpu - 0.002, cpu };
			System.arraycopy(iterations, 0, perIteration, fork * 4, 4);
		}
		double mean = Arrays.stream(perIteration).average().orElseThrow();
		double variance = Arrays.stream(perIteration).map((x) -> (x - mean) * (x - mean)).sum() / 11;
		// Student's t at 0.9995 with 11 degrees of freedom: 4.4370 (from the tables)
		assertThat(figures[9]).isCloseTo(4.4370 * Math.sqrt(variance / 12), within(1e-4));
		// pool bytes per op: the pooled rate over the pooled ops/s
		assertThat(figures[2]).isCloseTo(POOL_BYTES_RATE / JMH_SCORE, within(1e-6));
	}

	@Test
	void aPerIterationProfilersFigureIsItsIterationsMeanEvenFromOneInvocation() throws Exception {
		// ProcessCpuProfiler gives no figure for a fork's last iteration; JMH 1.37 scores
		// the missing one as 0: (6 + 4 + 0) / 3 for a fork of three iterations.
		Files.writeString(this.dir.resolve("jmh.json"), """
				[ {
				  "benchmark": "io.github.readyread.grpc.benchmarks.EchoBenchmark.readWrite",
				  "params": { "config": "ready", "security": "plaintext" },
				  "primaryMetric": { "score": 100, "scoreError": "NaN", "rawData": [[100, 100, 100]] },
				  "secondaryMetrics": {
				    "cpu.time.norm": { "score": 3.3333, "scoreError": 40.0, "rawData": [[6.0, 4.0]] }
				  }
				} ]
				""");

		double[] figures = JmhFigures.load(this.dir).get("readWrite-ready-plaintext");

		assertThat(figures[8]).isCloseTo(5.0, within(1e-9));
	}

	@Test
	void oneInvocationOfSeveralForksIsTakenAsJmhWroteIt() throws Exception {
		Files.writeString(this.dir.resolve("jmh.json"),
				"[" + result(String.valueOf(JMH_SCORE), String.valueOf(JMH_ERROR), rawData(FORKS), 0.105) + "]");

		double[] figures = JmhFigures.load(this.dir).get("readWrite-ready-plaintext");

		assertThat(figures[0]).isEqualTo(JMH_SCORE);
		assertThat(figures[3]).isEqualTo(JMH_ERROR);
		assertThat(figures[4]).isEqualTo(0.105);
	}

	@Test
	void aRoundOfOneInvocationPerConfigurationIsOneRoundAndRoundsGoInNumericOrder() throws Exception {
		// run.sh's rounds 9 and 10, one invocation per configuration each, the first
		// configuration moving: a file per invocation, jmh-ROUND-PART.json (round 10
		// sorts before round 9 by name)
		String[][] order = { { "ready", "stock" }, { "stock", "ready" } };
		int[] rounds = { 9, 10 };
		for (int round = 0; round < 2; round++) {
			for (int part = 0; part < 2; part++) {
				String config = order[round][part];
				double[] iterations = config.equals("ready") ? FORKS[round] : FORKS[2];
				String result = result("NaN", "NaN", rawData(iterations), PERFNORM_CPU_PER_FORK[round])
					.replace("\"config\": \"ready\"", "\"config\": \"" + config + "\"");
				Files.writeString(this.dir.resolve("jmh-" + rounds[round] + "-" + (part + 1) + ".json"),
						"[" + result + "]");
			}
		}

		double[] ready = JmhFigures.rounds(this.dir).get("readWrite-ready-plaintext");
		double[] stock = JmhFigures.rounds(this.dir).get("readWrite-stock-plaintext");

		assertThat(ready).containsExactly(Arrays.stream(FORKS[0]).average().orElseThrow(),
				Arrays.stream(FORKS[1]).average().orElseThrow());
		double third = Arrays.stream(FORKS[2]).average().orElseThrow();
		assertThat(stock).containsExactly(third, third);
		double[] figures = JmhFigures.load(this.dir).get("readWrite-ready-plaintext");
		double pooled = (Arrays.stream(FORKS[0]).sum() + Arrays.stream(FORKS[1]).sum()) / 8;
		assertThat(figures[0]).isCloseTo(pooled, within(1e-9));
		assertThat(figures[JmhFigures.OF]).isEqualTo(2);
	}

	@Test
	void aForkAboveTheStealBoundIsLeftOutOfEveryFigureOfItsConfiguration() throws Exception {
		// Three rounds; the second round's fork ran while the host took 30 % of the
		// machine, the others under 5 %.
		double[] steal = { 4.0, 30.0, 2.0 };
		for (int fork = 0; fork < FORKS.length; fork++) {
			String result = result("NaN", "NaN", rawData(FORKS[fork]), PERFNORM_CPU_PER_FORK[fork]);
			result = JmhResultJson.withSteal(result, "[[" + steal[fork] + ", " + steal[fork] + "]]");
			Files.writeString(this.dir.resolve("jmh-" + (fork + 1) + ".json"), "[" + result + "]");
		}

		double[] figures = JmhFigures.load(this.dir).get("readWrite-ready-plaintext");

		double kept = (Arrays.stream(FORKS[0]).sum() + Arrays.stream(FORKS[2]).sum()) / 8;
		assertThat(figures[0]).isCloseTo(kept, within(1e-9));
		assertThat(figures[4]).isCloseTo((0.101 + 0.110) / 2, within(1e-9));
		assertThat(figures[10]).isCloseTo(3.0, within(1e-9));
		assertThat(figures[JmhFigures.KEPT]).isEqualTo(2);
		assertThat(figures[JmhFigures.OF]).isEqualTo(3);
		assertThat(figures[JmhFigures.ALL_ABOVE]).isZero();
		assertThat(figures[JmhFigures.OPS_ALL]).isCloseTo(JMH_SCORE, within(0.01));
		assertThat(JmhFigures.rounds(this.dir).get("readWrite-ready-plaintext")).containsExactly(
				Arrays.stream(FORKS[0]).average().orElseThrow(), Double.NaN,
				Arrays.stream(FORKS[2]).average().orElseThrow());
	}

	private static String rawData(double[]... forks) {
		StringBuilder json = new StringBuilder("[");
		for (int fork = 0; fork < forks.length; fork++) {
			json.append((fork > 0) ? "," : "").append("[");
			for (int i = 0; i < forks[fork].length; i++) {
				json.append((i > 0) ? "," : "").append(forks[fork][i]);
			}
			json.append("]");
		}
		return json.append("]").toString();
	}

	/** A JMH result as JMH writes one (score and error as JSON values). */
	private static String result(String score, String error, String primaryRawData, double cpuPerOp) {
		return """
				{
				  "benchmark": "io.github.readyread.grpc.benchmarks.EchoBenchmark.readWrite",
				  "params": { "config": "ready", "security": "plaintext" },
				  "primaryMetric": { "score": %s, "scoreError": %s, "rawData": %s },
				  "secondaryMetrics": {
				    "poolBytes": { "score": %s, "scoreError": "NaN", "rawData": [[%s, %s, %s, %s]] },
				    "task-clock": { "score": %s, "scoreError": "NaN", "rawData": [[]] },
				    "cpu.time.norm": { "score": %s, "scoreError": "NaN", "rawData": %s }
				  }
				}
				""".formatted(quoted(score), quoted(error), primaryRawData, POOL_BYTES_RATE, POOL_BYTES_RATE,
				POOL_BYTES_RATE, POOL_BYTES_RATE, POOL_BYTES_RATE, cpuPerOp, cpuPerOp,
				"[[" + cpuPerOp + ", " + (cpuPerOp + 0.002) + ", " + (cpuPerOp - 0.002) + ", " + cpuPerOp + "]]");
	}

	private static String quoted(String number) {
		return "NaN".equals(number) ? "\"NaN\"" : number;
	}

}
