package io.github.readyread.grpc.benchmarks;

import java.util.Locale;

/**
 * How the benchmark connections are secured.
 */
public enum Security {

	/** No security: HTTP/2 in the clear. */
	PLAINTEXT,

	/** ALTS: its handshake and record layer. */
	ALTS;

	/** Lower-case name used in result files. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

}
