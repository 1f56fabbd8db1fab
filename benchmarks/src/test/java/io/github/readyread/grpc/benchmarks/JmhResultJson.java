package io.github.readyread.grpc.benchmarks;

/**
 * Test helper for JMH result files written by hand.
 */
final class JmhResultJson {

	private JmhResultJson() {
	}

	/**
	 * Adds {@link HostStealProfiler}'s figures to a JMH result.
	 * @param result one result, as JMH writes it, with secondary metrics
	 * @param rawData the steal figures per fork and iteration, JMH's {@code rawData}
	 * @return the result with them
	 */
	static String withSteal(String result, String rawData) {
		return result.replace("\"secondaryMetrics\": {", "\"secondaryMetrics\": {\n \"" + HostStealProfiler.METRIC
				+ "\": { \"score\": 0, \"scoreError\": \"NaN\", \"rawData\": " + rawData + " },");
	}

}
