package io.github.readyread.grpc.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link Report}'s targets: a throughput target says whether ready and stock
 * lie apart by more than the run's own spread.
 */
class ReportTests {

	@TempDir
	Path dir;

	@Test
	void aThroughputTargetSaysWhetherReadyAndStockLieApartBeyondTheirIntervals() throws Exception {
		// largeMessage: ready 10 % below stock, iterations tight (apart); readWrite: 4 %
		// below, iterations spread wide (inside). Two forks, one JMH invocation each.
		jmh(1, result("largeMessage", "ready", "[[900, 901, 899, 900]]"),
				result("largeMessage", "stock", "[[1000, 1001, 999, 1000]]"),
				result("readWrite", "ready", "[[8000, 9400, 8200, 9200]]"),
				result("readWrite", "stock", "[[8400, 9700, 8600, 9500]]"));
		jmh(2, result("largeMessage", "ready", "[[902, 898, 900, 900]]"),
				result("largeMessage", "stock", "[[1002, 998, 1000, 1000]]"),
				result("readWrite", "ready", "[[8100, 9300, 8300, 9100]]"),
				result("readWrite", "stock", "[[8500, 9600, 8700, 9400]]"));
		String results = report();
		assertThat(results).containsPattern(
				"\\| largeMessage plaintext: ops/s >= 1.0x stock \\| 0.900 \\| false \\| bound outside the ratio's "
						+ "99.9% interval \\(0.89[0-9]-0.90[0-9]\\); by round 0.90, 0.90 \\|");
		assertThat(results).containsPattern("\\| readWrite plaintext: ops/s >= 1.0x stock \\| 0.961 \\| false \\| "
				+ "bound inside the ratio's 99.9% interval \\(0.[0-9]{3}-1.[0-9]{3}\\); by round 0.96, 0.96 \\|");
		assertThat(results).contains("| readWrite plaintext: CPU ms/op <= 1.05x stock | 1.000 | true |  |");
		// The x stock cell of ops/s carries the ratio's half-width; stock's own has none.
		assertThat(results)
			.containsPattern("\\| largeMessage \\| plaintext \\| stock \\| 1000 \\+- [0-9]+ \\| 1.00 \\|");
		assertThat(results).contains("| largeMessage | plaintext | ready | 900 +- ");
		assertThat(results).containsPattern(
				"\\| largeMessage \\| plaintext \\| ready \\| 900 \\+- [0-9]+ \\| 0.90 \\+- 0.00[0-9] \\|");
	}

	@Test
	void aRatiosIntervalAddsTheRelativeHalfWidthsInQuadrature() {
		double[] ready = { 100, 0, 0, 10, 0, 0, 0, 0 };
		double[] stock = { 200, 0, 0, 20, 0, 0, 0, 0 };
		double[] interval = Report.ratioInterval(ready, stock, 0, 3);
		double half = 0.5 * Math.sqrt(0.1 * 0.1 + 0.1 * 0.1);
		assertThat(interval).containsExactly(new double[] { 0.5 - half, 0.5 + half }, within(1e-12));
		assertThat(Report.ratioInterval(ready, new double[] { 200, 0, 0, Double.NaN, 0, 0, 0, 0 }, 0, 3)).isNull();
	}

	@Test
	void aRatioJustOffOneKeepsThreeDecimalsAndNoLocalesComma() {
		Locale locale = Locale.getDefault();
		Locale.setDefault(Locale.GERMANY);
		try {
			assertThat(Report.ratio(0.996)).isEqualTo("0.996");
			assertThat(Report.ratio(1.004)).isEqualTo("1.004");
			assertThat(Report.ratio(1.0)).isEqualTo("1.00");
			assertThat(Report.ratio(0.93)).isEqualTo("0.93");
		}
		finally {
			Locale.setDefault(locale);
		}
	}

	@Test
	void theMedianOfAnEvenNumberIsTheMeanOfTheMiddleTwo() {
		assertThat(Report.median(new double[] { 2000, 3000 })).isEqualTo(2500);
		assertThat(Report.median(new double[] { 2800, 2900, 3000 })).isEqualTo(2900);
		assertThat(Report.median(new double[0])).isNaN();
	}

	@Test
	void aDownloadWithAFailedRepetitionComparesTheMedianOfTheOthers() throws Exception {
		Files.createDirectories(this.dir.resolve("rows"));
		download(1, "ready", 3000, 0.600);
		download(2, "ready", 2000, 0.500);
		download(1, "stock", 2900, 0.520);
		download(2, "stock", 3000, 0.500);
		download(3, "stock", 2800, 0.510);
		String results = report();
		assertThat(results).contains("| plaintext | 1024 KiB | ready | 2500.0 | 2000.0-3000.0 | 2/2 | 0.86 |");
		assertThat(results).contains("| download MB/s >= 1.0x stock (plaintext, 1024 KiB) | 0.862 | false |");
	}

	@Test
	void aThroughputTargetGivesReadyOverStockRoundByRound() throws Exception {
		// largeMessage: two rounds, ready level with stock in the first and 0.8x in the
		// second; readWrite: three rounds of stock, ready's fork of the second failed:
		// the first and third are paired, the second left out.
		jmh(1, result("largeMessage", "ready", "[[1000, 1000]]"), result("largeMessage", "stock", "[[990, 1010]]"),
				result("readWrite", "ready", "[[9000, 9000]]"), result("readWrite", "stock", "[[9000, 9000]]"));
		jmh(2, result("largeMessage", "stock", "[[1000, 1000]]"), result("largeMessage", "ready", "[[790, 810]]"),
				result("readWrite", "stock", "[[9000, 9000]]"));
		jmh(3, result("readWrite", "ready", "[[9000, 9000]]"), result("readWrite", "stock", "[[9000, 9000]]"));
		String results = report();
		assertThat(results).containsPattern("\\| largeMessage plaintext: ops/s >= 1.0x stock \\| 0.900 \\| false \\| "
				+ "no interval of the ratio: the 99.9% half-intervals are [0-9]+% \\(ready\\) and [0-9]+% \\(stock\\) of "
				+ "the scores; by round 1.00, 0.80 \\|");
		assertThat(results.lines().filter((line) -> line.startsWith("| readWrite plaintext: ops/s >= 1.0x stock")))
			.singleElement(InstanceOfAssertFactories.STRING)
			.endsWith("by round 1.00, 1.00, (1 round with one side's fork missing or above the steal bound) |");
	}

	/**
	 * Ready's fork failed in one round and stock's in another: no round has both but one,
	 * and no fork is paired with another round's.
	 */
	@Test
	void forksOfDifferentRoundsAreNeverPaired() throws Exception {
		jmh(1, result("readWrite", "ready", "[[9000, 9000]]"), result("readWrite", "stock", "[[9000, 9000]]"));
		jmh(2, result("readWrite", "stock", "[[10000, 10000]]"));
		jmh(3, result("readWrite", "ready", "[[8000, 8000]]"));
		String results = report();
		assertThat(results.lines().filter((line) -> line.startsWith("| readWrite plaintext: ops/s >= 1.0x stock")))
			.singleElement(InstanceOfAssertFactories.STRING)
			.doesNotContain("by round");
	}

	@Test
	void theDownloadTableShowsTheMedianCpuPerMibOfTheRepetitionsNextToStocks() throws Exception {
		Files.createDirectories(this.dir.resolve("rows"));
		// The median CPU need not be the median MB/s repetition's: ready's fastest
		// repetition has the middle CPU figure.
		download(1, "ready", 3000, 0.600);
		download(2, "ready", 2000, 0.500);
		download(3, "ready", 3100, 0.550);
		download(1, "stock", 2900, 0.520);
		download(2, "stock", 3000, 0.500);
		download(3, "stock", 2800, 0.510);
		String results = report();
		assertThat(results)
			.contains("| plaintext | 1024 KiB | ready | 3000.0 | 2000.0-3100.0 | 3/3 | 1.03 | 0.550 | 1.08 |");
		assertThat(results)
			.contains("| plaintext | 1024 KiB | stock | 2900.0 | 2800.0-3000.0 | 3/3 | 1.00 | 0.510 | 1.00 |");
		assertThat(Files.readString(this.dir.resolve("results.json"))).contains("\"cpuMsPerMiBMedian\": 0.55");
	}

	@Test
	void aThroughputTableListsWhatRunsOnlyWithAllOnlyWhereItWasMeasured() throws Exception {
		// run.sh measures conventional's throughput, and io_uring's in JMH, only with
		// ALL=1. Here JMH measured conventional once and not io_uring, conventional's
		// download loop never ran, and io_uring's ran once.
		jmh(1, result("largeMessage", "ready", "[[900, 901, 899, 900]]"),
				result("largeMessage", "conventional", "[[700, 700, 700, 700]]"),
				result("largeMessage", "stock", "[[1000, 1001, 999, 1000]]"),
				result("readWrite", "stock", "[[8400, 9700, 8600, 9500]]"));
		Files.createDirectories(this.dir.resolve("rows"));
		download(1, "ready", 3000, 0.600);
		download(1, "io_uring", 2500, 0.700);
		download(1, "stock", 2900, 0.520);
		String results = report();
		String jmh = results.substring(results.indexOf("## 1."), results.indexOf("## 3."));
		String downloads = results.substring(results.indexOf("## 6."), results.indexOf("## Targets"));
		// What run.sh always measures is listed, n/a where it failed.
		assertThat(jmh).contains("| largeMessage | plaintext | ready | 0 |")
			.contains("| largeMessage | plaintext | stock | 0 |")
			.doesNotContain("io_uring |")
			.contains("| readWrite | plaintext | ready | n/a |")
			.contains("| largeMessage | plaintext | conventional | 0 |")
			.contains("| readWrite | plaintext | conventional | n/a |");
		assertThat(downloads).contains("| plaintext | 1024 KiB | ready | 3000.0 |")
			.contains("| plaintext | 1024 KiB | io_uring | 2500.0 |")
			.contains("| plaintext | 1024 KiB | stock | 2900.0 |")
			.contains("| alts | 1024 KiB | io_uring | n/a |")
			.doesNotContain("conventional |");
		// The memory tables list what run.sh always runs, n/a where it failed, and
		// conventional only where it ran (with ALL=1; here it did not).
		assertThat(results.substring(results.indexOf("## 3."), results.indexOf("## 6.")))
			.contains("| plaintext | ready | n/a |")
			.contains("| plaintext | io_uring | n/a |")
			.doesNotContain("conventional |");
	}

	@Test
	void aMemoryTableListsConventionalWhereItsScenariosRan() throws Exception {
		jmh(1, result("readWrite", "ready", "[[9000, 9000, 9000, 9000]]"),
				result("readWrite", "stock", "[[9000, 9000, 9000, 9000]]"));
		Files.createDirectories(this.dir.resolve("rows"));
		Files.writeString(this.dir.resolve("rows/idle-conventional-plaintext.json"),
				"{\"scenario\": \"idle\", \"config\": \"conventional\", \"security\": \"plaintext\", \"count\": 10, "
						+ "\"clientPinnedPerConn\": 0.0, \"serverPinnedPerConn\": 0.0, \"clientReservedPerConn\": 0.0, "
						+ "\"serverReservedPerConn\": 0.0, \"rssBytesClientAndServer\": 1048576}");
		String results = report();
		assertThat(results.substring(results.indexOf("## 3."), results.indexOf("## 4")))
			.contains("| plaintext | conventional | 10 |");
	}

	@Test
	void theJmhTableShowsTheHostStealOfEachConfigurationsIterations() throws Exception {
		// Two rounds: ready's iterations ran while the hypervisor took a third of the
		// machine, stock's while it took a few per cent.
		jmh(1, JmhResultJson.withSteal(result("readWrite", "ready", "[[3000, 3000]]"), "[[30.0]]"),
				JmhResultJson.withSteal(result("readWrite", "stock", "[[4000, 4000]]"), "[[3.0]]"));
		jmh(2, JmhResultJson.withSteal(result("readWrite", "ready", "[[3000, 3000]]"), "[[36.0]]"),
				JmhResultJson.withSteal(result("readWrite", "stock", "[[4000, 4000]]"), "[[5.0]]"));
		String results = report();
		assertThat(results).contains("| host steal % | forks kept |")
			.containsPattern(
					"\\| readWrite \\| plaintext \\| ready \\|.* \\| 33\\.0( \\+- [0-9.]+)? \\| 2/2 \\(all above 10 %\\) \\|\n")
			.containsPattern("\\| readWrite \\| plaintext \\| stock \\|.* \\| 4\\.0( \\+- [0-9.]+)? \\| 2/2 \\|\n");
		assertThat(Files.readString(this.dir.resolve("results.json"))).contains("\"hostStealPercent\": 33.0");
	}

	@Test
	void aForkAboveTheStealBoundIsLeftOutOfTheTableAndTheTargetGivesTheRatioOverAllForks() throws Exception {
		// Three rounds; in the second, ready's fork ran while the host took 30 % of the
		// machine and at a third of its rate.
		jmh(1, JmhResultJson.withSteal(result("readWrite", "ready", "[[4000, 4000]]"), "[[3.0]]"),
				JmhResultJson.withSteal(result("readWrite", "stock", "[[4000, 4000]]"), "[[3.0]]"));
		jmh(2, JmhResultJson.withSteal(result("readWrite", "stock", "[[4000, 4000]]"), "[[5.0]]"),
				JmhResultJson.withSteal(result("readWrite", "ready", "[[1000, 1000]]"), "[[30.0]]"));
		jmh(3, JmhResultJson.withSteal(result("readWrite", "ready", "[[4400, 4400]]"), "[[1.0]]"),
				JmhResultJson.withSteal(result("readWrite", "stock", "[[4000, 4000]]"), "[[2.0]]"));
		String results = report();
		assertThat(results).containsPattern("\\| readWrite \\| plaintext \\| ready \\| 4200 \\+- [0-9]+ \\| 1.05 .*"
				+ "\\| 2\\.0( \\+- [0-9.]+)? \\| 2/3 \\|\n");
		assertThat(results.lines().filter((line) -> line.startsWith("| readWrite plaintext: ops/s >= 1.0x stock")))
			.singleElement(InstanceOfAssertFactories.STRING)
			.startsWith("| readWrite plaintext: ops/s >= 1.0x stock | 1.050 | true |")
			.endsWith("by round 1.00, 1.10, (1 round with one side's fork missing or above the steal bound); "
					+ "over all forks, those above the steal bound included, 0.78 |");
		assertThat(Files.readString(this.dir.resolve("results.json"))).contains("\"forksKept\": 2")
			.contains("\"forks\": 3");
	}

	@Test
	void aDownloadRepetitionAboveTheStealBoundIsLeftOutOfTheMedian() throws Exception {
		Files.createDirectories(this.dir.resolve("rows"));
		download(1, "ready", 3000, 0.500, 2.0);
		download(2, "ready", 1000, 0.900, 40.0);
		download(3, "ready", 3200, 0.500, 4.0);
		download(1, "stock", 2900, 0.520, 1.0);
		download(2, "stock", 3000, 0.500, 3.0);
		download(3, "stock", 2800, 0.510, 5.0);
		String results = report();
		assertThat(results).contains("| plaintext | 1024 KiB | ready | 3100.0 | 3000.0-3200.0 | 2/3 | 1.07 |")
			.contains("| plaintext | 1024 KiB | stock | 2900.0 | 2800.0-3000.0 | 3/3 | 1.00 |");
	}

	/** Runs the report on this test's files and reads its results.md. */
	private String report() throws Exception {
		System.setProperty("java.awt.headless", "true");
		Report.main(new String[] { this.dir.toString() });
		return Files.readString(this.dir.resolve("results.md"));
	}

	/**
	 * Writes round {@code round}'s JMH results, as one JMH invocation of run.sh would.
	 */
	private void jmh(int round, String... results) throws Exception {
		Files.writeString(this.dir.resolve("jmh-" + round + ".json"), "[" + String.join(",", results) + "]");
	}

	private void download(int repetition, String config, double mbPerSecond, double cpuMsPerMib) throws Exception {
		download(repetition, config, mbPerSecond, cpuMsPerMib, Double.NaN);
	}

	private void download(int repetition, String config, double mbPerSecond, double cpuMsPerMib, double steal)
			throws Exception {
		Files.writeString(
				this.dir.resolve("rows").resolve("download-r" + repetition + "-" + config + "-plaintext.json"), """
						{ "scenario": "download", "config": "%s", "security": "plaintext",
						  "runs": [ { "messageSize": 1048576, "mbPerSecond": %s, "cpuMsPerMiB": %s,%s
						              "sampleColumns": [], "samples": [] } ] }
						""".formatted(config, mbPerSecond, cpuMsPerMib,
						Double.isNaN(steal) ? "" : " \"hostStealPercent\": " + steal + ","));
	}

	private static String result(String method, String config, String rawData) {
		return """
				{
				  "benchmark": "io.github.readyread.grpc.benchmarks.EchoBenchmark.%s",
				  "params": { "config": "%s", "security": "plaintext" },
				  "primaryMetric": { "score": 0, "scoreError": "NaN", "rawData": %s },
				  "secondaryMetrics": {
				    "task-clock": { "score": 0.1, "scoreError": "NaN", "rawData": [[]] }
				  }
				}
				""".formatted(method, config, rawData);
	}

}
