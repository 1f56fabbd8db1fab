package io.github.readyread.grpc.benchmarks;

import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.ReadPathStats;

/**
 * How the benchmarks build our ALTS: the embedded handshaker and the client and server
 * negotiators of package {@code io.github.readyread.grpc.alts}.
 *
 * <p>
 * The only class of this module that knows that package. Stock ALTS also needs the
 * handshaker (grpc-java ships none), so until the adapter below is completed every ALTS
 * row, stock included, is recorded as {@code n/a} with this class's message.
 */
final class OurAlts {

	/** Why ALTS rows are {@code n/a} while the adapter is not completed. */
	static final String NOT_WIRED = "ALTS adapter not completed: io.github.readyread.grpc.alts is not on this branch "
			+ "(complete benchmarks OurAlts after merging)";

	private OurAlts() {
	}

	/**
	 * A running ALTS handshaker service, reachable on a loopback port.
	 */
	interface Handshaker extends AutoCloseable {

		/** {@code 127.0.0.1:port} of the handshaker service. */
		String target();

		@Override
		void close();

	}

	// ---------------------------------------------------------------------------------
	// ADAPTER TO COMPLETE AFTER MERGING THE ALTS BRANCH: the three methods below.
	// Expected shape, from the alts work in progress (names may differ when merged):
	//
	// startHandshaker():
	// EmbeddedHandshaker h =
	// EmbeddedHandshaker.startWithLoopbackPort("bench@example.com");
	// return new Handshaker() { target() -> h.target(); close() -> h.close(); };
	// client(target, stats):
	// ManagedChannel ch = Grpc.newChannelBuilder(target,
	// InsecureChannelCredentials.create())
	// .build(); // closed by the negotiator's close()
	// return AltsNegotiator.client(AltsSettings.of(ch, stats));
	// server(target, stats): likewise with AltsNegotiator.server(...).
	// ---------------------------------------------------------------------------------

	/** Starts the embedded ALTS handshaker service on a loopback port. */
	static Handshaker startHandshaker() {
		throw new UnsupportedOperationException(NOT_WIRED);
	}

	/**
	 * Our client ALTS negotiator, talking to the handshaker at {@code handshakerTarget},
	 * counting its read path in {@code stats}.
	 */
	static GrpcNettyBridge.Negotiator client(String handshakerTarget, ReadPathStats stats) {
		throw new UnsupportedOperationException(NOT_WIRED);
	}

	/** Our server ALTS negotiator, as {@link #client}. */
	static GrpcNettyBridge.Negotiator server(String handshakerTarget, ReadPathStats stats) {
		throw new UnsupportedOperationException(NOT_WIRED);
	}

}
