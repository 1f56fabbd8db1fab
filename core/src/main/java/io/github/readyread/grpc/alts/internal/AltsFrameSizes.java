package io.github.readyread.grpc.alts.internal;

/**
 * Frame size limits of the ALTS record protocol, as grpc-java negotiates them.
 */
public final class AltsFrameSizes {

	/** Frame size used when the peer does not negotiate one, and the smallest allowed. */
	public static final int DEFAULT = 16 * 1024;

	/** Largest frame size that can be negotiated. */
	public static final int MAX = 128 * 1024;

	/**
	 * Frame size this side offers unless told otherwise: the largest, as grpc-java's
	 * {@code AltsTsiFrameProtector} offers (fewer AES-GCM records per MiB; a connection
	 * waiting inside a record still holds only the bytes of it that arrived).
	 */
	public static final int OFFERED_BY_DEFAULT = MAX;

	/** Largest frame size any implementation accepts. */
	public static final int HARD_LIMIT = 1024 * 1024;

	private AltsFrameSizes() {
	}

	/**
	 * The frame size both sides use, as grpc-java computes it: the handshake's result
	 * capped to what this side offered, within [{@link #DEFAULT}, {@link #MAX}].
	 * @param negotiated max_frame_size of the handshake result, 0 if the peer sent none
	 * @param offered the size this side asked for
	 */
	public static int resolve(int negotiated, int offered) {
		if (negotiated == 0) {
			return DEFAULT;
		}
		return Math.max(DEFAULT, Math.min(Math.min(negotiated, offered), MAX));
	}

	static int checkOffered(int maxFrameSize) {
		if (maxFrameSize < DEFAULT || maxFrameSize > MAX) {
			throw new IllegalArgumentException(
					"ALTS max frame size must be in [" + DEFAULT + ", " + MAX + "], was " + maxFrameSize);
		}
		return maxFrameSize;
	}

}
