package io.github.readyread.grpc.transport;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
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
	 * @param grpcHandler grpc's HTTP/2 handler
	 * @param demand the connection's demand, or {@code null} on the conventional read
	 * path
	 * @return the handler grpc-netty adds to the new channel's pipeline
	 */
	ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler, @Nullable ReadDemand demand);

	@Override
	default ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
		return newHandler(grpcHandler, null);
	}

}
