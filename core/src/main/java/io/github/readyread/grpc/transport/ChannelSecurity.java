package io.github.readyread.grpc.transport;

import org.jspecify.annotations.Nullable;

/**
 * Decides which connections are secured by the ready-read transport itself (ALTS) and
 * builds their negotiators.
 */
public interface ChannelSecurity {

	/** No channel or server is secured by the ready-read transport. */
	ChannelSecurity NONE = new ChannelSecurity() {
	};

	/**
	 * The negotiator of a client channel, or {@code null} if the channel is not secured
	 * here.
	 * @param channelName the client channel name
	 * @param stats the channel's read path figures
	 * @return the negotiator or {@code null}
	 */
	default GrpcNettyBridge.@Nullable Negotiator clientNegotiator(String channelName, ReadPathStats stats) {
		return null;
	}

	/**
	 * The negotiator of the server, or {@code null} if the server is not secured here.
	 * @param stats the server's read path figures
	 * @return the negotiator or {@code null}
	 */
	default GrpcNettyBridge.@Nullable Negotiator serverNegotiator(ReadPathStats stats) {
		return null;
	}

}
