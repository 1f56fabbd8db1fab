package io.github.readyread.grpc.benchmarks;

import java.util.Locale;

/**
 * How the benchmark connections are secured.
 */
public enum Security {

	PLAINTEXT,

	ALTS;

	/** Lower-case name used in result files. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

}
