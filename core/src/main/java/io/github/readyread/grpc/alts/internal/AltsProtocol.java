package io.github.readyread.grpc.alts.internal;

/**
 * What an ALTS handshake agrees on for this record layer: the protocols a handshaker must
 * name in its result and the key data it must deliver.
 */
public final class AltsProtocol {

	/** Application protocol carried over the records. */
	public static final String APPLICATION_PROTOCOL = "grpc";

	/** Record protocol of this record layer. */
	public static final String RECORD_PROTOCOL = "ALTSRP_GCM_AES128_REKEY";

	/** Bytes of key data the record protocol needs. */
	public static final int KEY_LENGTH = 44;

	private AltsProtocol() {
	}

}
