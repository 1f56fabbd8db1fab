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

	/**
	 * Largest read for the rest of one frame ({@link #awaitFrameRest}): an ALTS record's
	 * hard limit and its next header.
	 */
	static final int FRAME_REST_LIMIT = 1024 * 1024 + 16;

	private final int maxReadSize;

	/** Whether large frames are read exactly ({@link #awaitFrameRest}). */
	private boolean frameRestReads;

	/** Whether the next read takes exactly {@link #readSize}. */
	private boolean frameRest;

	private int missingBytes = 1;

	private int readSize;

	/**
	 * A demand for one byte, the least a connection can wait for.
	 * @param maxReadSize largest read buffer, but for the exact reads of large frames
	 * ({@link #awaitFrameRest})
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
		this.frameRest = false;
		this.missingBytes = Math.max(1, Math.min(missingBytes, this.maxReadSize));
		this.readSize = clamp(Math.max(readSize, this.missingBytes));
	}

	/**
	 * Says that the next read should take exactly {@code readSize} bytes: the rest of a
	 * frame the read path can only use whole (an ALTS record) and the next frame's
	 * header, or, while such frames flow, a header alone, or a small frame's rest with
	 * room for a large frame behind it. Where {@link #frameRestReads(boolean) enabled},
	 * that read is not sized from what reads return, and may be larger than the largest
	 * read (up to an ALTS record's hard limit): a record whose header came alone then
	 * comes in one read, whole, and goes on as a slice of it instead of being copied
	 * together from several reads; a read that brings less is handled as any partial read
	 * (and the low-water mark's trickle rule keeps the rest in the kernel). Elsewhere as
	 * {@link #await}.
	 * @param missingBytes bytes still to come before anything can be decoded, at least 1
	 * @param readSize bytes the next read takes
	 */
	public void awaitFrameRest(int missingBytes, int readSize) {
		if (!this.frameRestReads) {
			await(missingBytes, readSize);
			return;
		}
		this.frameRest = true;
		this.missingBytes = Math.max(1, Math.min(missingBytes, FRAME_REST_LIMIT));
		this.readSize = Math.max(this.missingBytes, Math.min(readSize, FRAME_REST_LIMIT));
	}

	/**
	 * Lets the decoder ask for exact reads of large frames ({@link #awaitFrameRest}): for
	 * epoll connections with the low-water mark and adaptive reads (on NIO a read takes
	 * what is queued and nothing keeps a frame's rest in the kernel; exact reads size
	 * every read that way already).
	 */
	void frameRestReads(boolean enabled) {
		this.frameRestReads = enabled;
	}

	/** Whether large frames are read exactly ({@link #frameRestReads(boolean)}). */
	boolean readsFrameRests() {
		return this.frameRestReads;
	}

	/**
	 * Whether the next read takes exactly {@link #readSize()} bytes
	 * ({@link #awaitFrameRest}), not a size learned from earlier reads.
	 */
	public boolean awaitsFrameRest() {
		return this.frameRest;
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
