package io.github.readyread.grpc.alts;

import io.grpc.Attributes;
import io.grpc.ClientCall;
import io.grpc.ServerCall;
import org.jspecify.annotations.Nullable;

/**
 * Who is on the other end of an ALTS connection, as the handshake established it. Never
 * holds key material.
 *
 * @param peerServiceAccount service account of the peer
 * @param localServiceAccount service account this side was authenticated as
 * @param recordProtocol record protocol in use
 * @param maxFrameSize negotiated maximum frame size in bytes
 */
public record AltsPeer(String peerServiceAccount, String localServiceAccount, String recordProtocol, int maxFrameSize) {

	/** The transport attribute that holds the peer of an ALTS connection. */
	public static final Attributes.Key<AltsPeer> KEY = Attributes.Key.create(AltsPeer.class.getName());

	/** The peer in {@code attributes}, or {@code null} if the connection is not ALTS. */
	public static @Nullable AltsPeer fromAttributes(@Nullable Attributes attributes) {
		return (attributes != null) ? attributes.get(KEY) : null;
	}

	/** The client of a server call, or {@code null} if it did not come over ALTS. */
	public static @Nullable AltsPeer fromCall(ServerCall<?, ?> call) {
		return fromAttributes(call.getAttributes());
	}

	/** The server of a client call, or {@code null} if it does not go over ALTS. */
	public static @Nullable AltsPeer fromCall(ClientCall<?, ?> call) {
		return fromAttributes(call.getAttributes());
	}

}
