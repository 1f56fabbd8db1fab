package io.github.readyread.grpc.transport;

/**
 * Whether connections run as the ready-read transport intends: shown in the startup line,
 * the endpoint, the info and as the meters' {@code mode} tag.
 */
public enum ReadyReadMode {

	/**
	 * The ready read path on the native transport asked for (epoll, or io_uring).
	 */
	READY_READ("ready-read"),

	/**
	 * Anything else: NIO, a transport other than the one asked for, or the conventional
	 * read path ({@link ReadyReadTransport#fallbackReason()} says which).
	 */
	FALLBACK("fallback");

	private final String displayName;

	ReadyReadMode(String displayName) {
		this.displayName = displayName;
	}

	/**
	 * The name shown: {@code ready-read} or {@code fallback}.
	 * @return the name
	 */
	public String displayName() {
		return this.displayName;
	}

}
