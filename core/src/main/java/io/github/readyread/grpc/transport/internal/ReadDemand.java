package io.github.readyread.grpc.transport.internal;

/**
 * What one connection's read path waits for: the bytes that must arrive before the frame
 * being read can be decoded, and how many bytes to read when the socket is readable.
 *
 * <p>
 * Made by {@link ReadyReadChannels#prepare} and given to each of its users through their
 * constructors: the outermost decoder of a connection (the ALTS record decoder, or the
 * HTTP/2 frame aligner on plaintext connections) updates it while it handles a read; the
 * connection's receive buffer allocator sizes the next read from it and the
 * {@link ReadPathHeadHandler} sets the socket's low-water mark from it. Used only on the
 * channel's event loop.
 */
public final class ReadDemand {

	private final int maxReadSize;

	private int missingBytes = 1;

	private int readSize;

	/**
	 * A demand for one byte, the least a connection can wait for.
	 * @param maxReadSize largest read buffer ever taken
	 * @param initialReadSize read size until a decoder says otherwise
	 */
	public ReadDemand(int maxReadSize, int initialReadSize) {
		if (maxReadSize < 1) {
			throw new IllegalArgumentException("maxReadSize must be positive, was " + maxReadSize);
		}
		this.maxReadSize = maxReadSize;
		this.readSize = clamp(initialReadSize);
	}

	/**
	 * Says what the read path needs next.
	 * @param missingBytes bytes that must still arrive to complete the frame (or frame
	 * header) being read, at least 1
	 * @param readSize bytes to read once readable: usually the missing bytes plus the
	 * next frame's header, so a read never goes past what can be decoded
	 */
	public void await(int missingBytes, int readSize) {
		this.missingBytes = Math.max(1, Math.min(missingBytes, this.maxReadSize));
		this.readSize = clamp(Math.max(readSize, this.missingBytes));
	}

	/** Bytes that must still arrive before anything can be decoded, at least 1. */
	public int missingBytes() {
		return this.missingBytes;
	}

	/** Size of the next read buffer, never 0 (a zero-length read would look like EOF). */
	public int readSize() {
		return this.readSize;
	}

	public int maxReadSize() {
		return this.maxReadSize;
	}

	private int clamp(int size) {
		return Math.max(1, Math.min(size, this.maxReadSize));
	}

}
