package io.github.readyread.grpc.benchmarks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.transport.internal.RecordLayerNegotiator;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

/**
 * How the benchmarks build our ALTS: the embedded handshaker (package
 * {@code io.github.readyread.grpc.alts.embedded}) and the client and server negotiators
 * of package {@code io.github.readyread.grpc.alts.internal} (not API), one handshake
 * limiter per negotiator as before. The only class of this module that knows those
 * packages.
 */
final class OurAlts {

	/**
	 * One channel to each handshaker, shared by every negotiator of the process, as an
	 * application shares it (a channel per connection would double the sockets).
	 */
	private static final Map<String, ManagedChannel> HANDSHAKER_CHANNELS = new ConcurrentHashMap<>();

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

	/** Starts the embedded ALTS handshaker service on a loopback port. */
	static Handshaker startHandshaker() {
		EmbeddedHandshaker handshaker = EmbeddedHandshaker.startWithLoopbackPort("bench@example.invalid");
		return new Handshaker() {
			@Override
			public String target() {
				return handshaker.target();
			}

			@Override
			public void close() {
				handshaker.close();
			}
		};
	}

	/**
	 * Makes our client ALTS negotiators, talking to the handshaker at
	 * {@code handshakerTarget}, with the figures and stage the transport gives.
	 */
	static RecordLayerNegotiator.Factory client(String handshakerTarget) {
		return negotiators(false, handshakerTarget);
	}

	/** Makes our server ALTS negotiators, as {@link #client}. */
	static RecordLayerNegotiator.Factory server(String handshakerTarget) {
		return negotiators(true, handshakerTarget);
	}

	private static RecordLayerNegotiator.Factory negotiators(boolean server, String handshakerTarget) {
		ManagedChannel handshaker = HANDSHAKER_CHANNELS.computeIfAbsent(handshakerTarget,
				(target) -> Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
		return (stats, plaintextStage) -> {
			AltsSettings settings = AltsSettings.of(handshaker, stats).withPlaintextStage(plaintextStage);
			return server ? AltsNegotiator.server(settings) : AltsNegotiator.client(settings);
		};
	}

}
