package io.github.readyread.grpc.transport;

import java.util.Locale;

/**
 * The security that the connections of a client channel or of the server actually run.
 */
public enum ConnectionSecurity {

	/** No security: the ready-read transport's own plaintext negotiator. */
	PLAINTEXT,

	/**
	 * No security, HTTP/1.1 upgrade to HTTP/2 first: grpc-java's own negotiator and read
	 * path.
	 */
	PLAINTEXT_UPGRADE,

	/** TLS: grpc-java's own negotiator and read path. */
	TLS,

	/** ALTS: the ready-read transport's own record layer. */
	ALTS,

	/**
	 * A protocol negotiator the application installed itself: left in place, with its own
	 * read path.
	 */
	CUSTOM;

	/**
	 * The name shown in the endpoint, the meters and the log, e.g. {@code plaintext} or
	 * {@code plaintext-upgrade}, whatever the default locale.
	 * @return the lowercase name
	 */
	public String displayName() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
