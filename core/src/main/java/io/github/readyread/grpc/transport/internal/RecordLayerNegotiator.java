package io.github.readyread.grpc.transport.internal;

import java.util.function.Supplier;

import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSecurity;
import io.netty.channel.ChannelHandler;
import org.jspecify.annotations.Nullable;

/**
 * A negotiator whose handshake ends in a record decoder that reads the socket (ALTS): on
 * the ready read path it is given the connection's {@link ReadDemand}, which that record
 * decoder keeps as the connection's outermost decoder.
 */
public interface RecordLayerNegotiator extends GrpcNettyBridge.Negotiator {

	/**
	 * Builds the handshake handler of one connection.
	 * @param grpc grpc's HTTP/2 handler
	 * @param demand the connection's demand, or {@code null} on the conventional read
	 * path
	 * @return the handler grpc-netty adds to the new channel's pipeline
	 */
	ChannelHandler newHandler(GrpcNettyBridge.GrpcHandler grpc, @Nullable ReadDemand demand);

	@Override
	default ChannelHandler newHandler(GrpcNettyBridge.GrpcHandler grpc) {
		return newHandler(grpc, null);
	}

	/**
	 * Makes the negotiator of one owner's connections, as
	 * {@link TransportSecurity#alts(Factory)} asks: {@link ReadyReadTransport} calls it
	 * with the owner's figures and the stage its read path puts behind the record
	 * decoder.
	 */
	@FunctionalInterface
	interface Factory {

		/**
		 * The negotiator for one owner.
		 * @param stats the owner's figures, where the record decoder counts its bytes
		 * @param plaintextStage makes the handler placed between the record decoder and
		 * grpc's HTTP/2 handler (the frame aligner of the ready read path), or
		 * {@code null} for none (the conventional read path)
		 * @return the negotiator
		 */
		RecordLayerNegotiator negotiator(ReadPathStats stats, @Nullable Supplier<ChannelHandler> plaintextStage);

	}

}
