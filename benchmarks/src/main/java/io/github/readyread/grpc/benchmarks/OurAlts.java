package io.github.readyread.grpc.benchmarks;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.github.readyread.grpc.alts.AltsNegotiator;
import io.github.readyread.grpc.alts.AltsSettings;
import io.github.readyread.grpc.alts.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.GrpcNettyBridge;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.netty.channel.ChannelHandler;

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
	 * Our client ALTS negotiator, talking to the handshaker at {@code handshakerTarget},
	 * counting its read path in {@code stats}, with the plaintext stage {@code transport}
	 * wires for its read path.
	 */
	static GrpcNettyBridge.Negotiator client(String handshakerTarget, ReadPathStats stats,
			ReadyReadTransport transport) {
		return negotiator(false, handshakerTarget, stats, transport);
	}

	/**
	 * Our server ALTS negotiator, as {@link #client}; {@code plaintextStage}, if not
	 * {@code null}, is put behind the record layer instead of the one {@code transport}
	 * wires (a read path that wires one takes no other).
	 */
	static GrpcNettyBridge.Negotiator server(String handshakerTarget, ReadPathStats stats, ReadyReadTransport transport,
			Supplier<ChannelHandler> plaintextStage) {
		Supplier<ChannelHandler> wired = transport.plaintextStage(true, stats);
		if (wired != null && plaintextStage != null) {
			throw new IllegalArgumentException("The ready read path wires its own plaintext stage");
		}
		return negotiator(true, handshakerTarget, stats, (wired != null) ? wired : plaintextStage);
	}

	private static GrpcNettyBridge.Negotiator negotiator(boolean server, String handshakerTarget, ReadPathStats stats,
			ReadyReadTransport transport) {
		return negotiator(server, handshakerTarget, stats, transport.plaintextStage(server, stats));
	}

	private static GrpcNettyBridge.Negotiator negotiator(boolean server, String handshakerTarget, ReadPathStats stats,
			Supplier<ChannelHandler> plaintextStage) {
		ManagedChannel handshaker = HANDSHAKER_CHANNELS.computeIfAbsent(handshakerTarget,
				(target) -> Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
		AltsSettings settings = AltsSettings.of(handshaker, stats).withPlaintextStage(plaintextStage);
		return server ? AltsNegotiator.server(settings) : AltsNegotiator.client(settings);
	}

}
