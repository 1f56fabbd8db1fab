package io.github.readyread.grpc.benchmarks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.readyread.grpc.alts.AltsNegotiator;
import io.github.readyread.grpc.alts.AltsSettings;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

/**
 * How the benchmarks build our ALTS: the embedded handshaker and the client and server
 * negotiators of package {@code io.github.readyread.grpc.alts}. The only class of this
 * module that knows that package.
 */
final class OurAlts {

	/**
	 * One channel to each handshaker, shared by every negotiator of the process, as an
	 * application shares it (a channel per connection would double the sockets).
	 */
	private static final Map<String, ManagedChannel> HANDSHAKER_CHANNELS = new ConcurrentHashMap<>();

	private OurAlts() {
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
	 * Our client ALTS negotiator, talking to the handshaker at {@code handshakerTarget},
	 * counting its read path in {@code stats}, with the plaintext stage {@code transport}
	 * wires for its read path.
	 */
	static GrpcNettyBridge.Negotiator client(String handshakerTarget, ReadPathStats stats,
			ReadyReadTransport transport) {
		return negotiator(false, handshakerTarget, stats, transport);
	}

	/** Our server ALTS negotiator, as {@link #client}. */
	static GrpcNettyBridge.Negotiator server(String handshakerTarget, ReadPathStats stats,
			ReadyReadTransport transport) {
		return negotiator(true, handshakerTarget, stats, transport);
	}

	private static GrpcNettyBridge.Negotiator negotiator(boolean server, String handshakerTarget, ReadPathStats stats,
			ReadyReadTransport transport) {
		ManagedChannel handshaker = HANDSHAKER_CHANNELS.computeIfAbsent(handshakerTarget,
				(target) -> Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
		AltsSettings settings = AltsSettings.of(handshaker, stats)
			.withPlaintextStage(transport.plaintextStage(server, stats));
		return server ? AltsNegotiator.server(settings) : AltsNegotiator.client(settings);
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

}
