package io.github.readyread.grpc.transport;

/**
 * Whose connections a set of read path figures belongs to: the server, or a client
 * channel by name. A channel named {@code server} is not the server.
 *
 * @param isServer whether it is the server
 * @param name the channel's name, {@code server} for the server
 */
public record Owner(boolean isServer, String name) {

	private static final Owner SERVER = new Owner(true, "server");

	public Owner {
		if (name == null || (isServer && !"server".equals(name))) {
			throw new IllegalArgumentException("Invalid owner name " + name);
		}
	}

	/** The gRPC server. */
	public static Owner server() {
		return SERVER;
	}

	/** The client channel named {@code name}. */
	public static Owner channel(String name) {
		return new Owner(false, name);
	}

	@Override
	public String toString() {
		return this.isServer ? "gRPC server" : "gRPC channel '" + this.name + "'";
	}

}
