package io.github.readyread.grpc.transport;

/**
 * Which connections the ready-read transport secures itself (ALTS), as the application
 * configured it: asked by {@link ReadyReadBuilders} for each channel and the server.
 */
@FunctionalInterface
public interface ChannelSecurity {

	/** No channel or server is secured by the ready-read transport. */
	ChannelSecurity NONE = (owner) -> TransportSecurity.plaintext();

	/**
	 * What the application asked for the connections of {@code owner}.
	 * @param owner the server or a client channel
	 * @return {@link TransportSecurity#alts ALTS}, or
	 * {@link TransportSecurity#plaintext() plaintext} for an owner the transport does not
	 * secure itself (whose builder may still carry the application's own security)
	 */
	TransportSecurity securityOf(Owner owner);

}
