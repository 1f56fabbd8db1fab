package io.github.readyread.grpc.transport;

import io.github.readyread.grpc.transport.internal.RecordLayerNegotiator;

/**
 * What the application asked for the connections of a client channel or of the server,
 * given to {@link ReadyReadTransport} with the builder:
 *
 * <ul>
 * <li>{@link #plaintext()}: h2c on the transport's own negotiator and read path; the
 * builder must be plaintext;</li>
 * <li>{@link #alts(RecordLayerNegotiator.Factory)}: ALTS under HTTP/2, on the transport's
 * read path; the builder must be plaintext;</li>
 * <li>{@link #kept()}: the security the application put on the builder itself (TLS, the
 * HTTP/1.1 upgrade or its own negotiator) stays, with grpc-java's read path; the builder
 * must not be plaintext.</li>
 * </ul>
 *
 * What the connections then run is reported as a {@link ConnectionSecurity}.
 */
public sealed interface TransportSecurity
		permits TransportSecurity.Plaintext, TransportSecurity.Alts, TransportSecurity.Kept {

	/** h2c, read by the transport. */
	static TransportSecurity plaintext() {
		return Plaintext.INSTANCE;
	}

	/**
	 * ALTS, whose negotiators {@code negotiators} makes: applications get it from
	 * {@code io.github.readyread.grpc.alts.AltsChannelSecurity}; the factory's type is
	 * not API.
	 * @param negotiators makes the negotiator of the owner's connections
	 * @return the security
	 */
	static TransportSecurity alts(RecordLayerNegotiator.Factory negotiators) {
		return new Alts(negotiators);
	}

	/** The application's own security on the builder, left in place. */
	static TransportSecurity kept() {
		return Kept.INSTANCE;
	}

	/**
	 * h2c on the transport's own plaintext negotiator and read path.
	 */
	record Plaintext() implements TransportSecurity {

		private static final Plaintext INSTANCE = new Plaintext();

	}

	/**
	 * ALTS on the transport's read path.
	 *
	 * @param negotiators makes the negotiator of one owner's connections, given the
	 * owner's figures and the stage of the read path
	 */
	record Alts(RecordLayerNegotiator.Factory negotiators) implements TransportSecurity {

		public Alts {
			if (negotiators == null) {
				throw new NullPointerException("ALTS needs the factory of its negotiators");
			}
		}

	}

	/**
	 * The security the application installed on the builder (TLS, the HTTP/1.1 upgrade or
	 * its own negotiator), with grpc-java's read path: only the event loops and the pool
	 * are the transport's.
	 */
	record Kept() implements TransportSecurity {

		private static final Kept INSTANCE = new Kept();

	}

}
