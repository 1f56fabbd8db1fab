package io.github.readyread.grpc.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

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
		Files.writeString(this.dir.resolve("jmh-1.json"),
				"[" + String.join(",", result("largeMessage", "ready", "[[900, 901, 899, 900]]"),
						result("largeMessage", "stock", "[[1000, 1001, 999, 1000]]"),
						result("readWrite", "ready", "[[8000, 9400, 8200, 9200]]"),
						result("readWrite", "stock", "[[8400, 9700, 8600, 9500]]")) + "]");
		Files.writeString(this.dir.resolve("jmh-2.json"),
				"[" + String.join(",", result("largeMessage", "ready", "[[902, 898, 900, 900]]"),
						result("largeMessage", "stock", "[[1002, 998, 1000, 1000]]"),
						result("readWrite", "ready", "[[8100, 9300, 8300, 9100]]"),
						result("readWrite", "stock", "[[8500, 9600, 8700, 9400]]")) + "]");
		System.setProperty("java.awt.headless", "true");

		Report.main(new String[] { this.dir.toString() });

		String results = Files.readString(this.dir.resolve("results.md"));
		assertThat(results).contains(
				"| largeMessage plaintext: ops/s >= 1.0x stock | 0.900 | false | apart beyond the 99.9% intervals |");
		assertThat(results)
			.contains("| readWrite plaintext: ops/s >= 1.0x stock | 0.961 | false | inside the 99.9% intervals |");
		assertThat(results).contains("| readWrite plaintext: CPU ms/op <= 1.05x stock | 1.000 | true |  |");
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
