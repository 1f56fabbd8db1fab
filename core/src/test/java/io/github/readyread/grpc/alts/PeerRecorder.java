package io.github.readyread.grpc.alts;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.github.readyread.grpc.EchoService;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;

/**
 * Records the ALTS peer of every call a server takes: put it in front of the tests'
 * {@link EchoService} with {@link #echoService()}.
 */
final class PeerRecorder implements ServerInterceptor {

	private final Queue<AltsPeer> peers = new ConcurrentLinkedQueue<>();

	/** The peers of the calls so far, in the order they came. */
	Queue<AltsPeer> peers() {
		return this.peers;
	}

	/** The echo service behind this recorder. */
	ServerServiceDefinition echoService() {
		return ServerInterceptors.intercept(new EchoService(), this);
	}

	@Override
	public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
			ServerCallHandler<Q, R> next) {
		AltsPeer peer = AltsPeer.fromCall(call);
		if (peer != null) {
			this.peers.add(peer);
		}
		return next.startCall(call, headers);
	}

}
