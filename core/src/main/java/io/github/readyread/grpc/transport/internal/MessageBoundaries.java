package io.github.readyread.grpc.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import org.jspecify.annotations.Nullable;

/**
 * Where gRPC messages begin in the DATA frames of each stream of one connection, as the
 * {@link Http2FrameAligner} passes them on; it tells the aligner where a DATA frame may
 * be cut so that the head of a message still incomplete goes on in a buffer of its own.
 *
 * <pre>
 *   gRPC message:  [ flag (1) | length (4, big-endian) | message (length) ]
 *   DATA payload:  [ ...end of A | B | C | head of D ]   D incomplete: cut before D
 *                                          ^ cut
 * </pre>
 *
 * <p>
 * A stream is followed from its first HEADERS frame without END_STREAM until a DATA or
 * HEADERS frame with END_STREAM or a RST_STREAM; at most {@value #MAX_STREAMS} streams at
 * once, the oldest (lowest identifier: streams are numbered in the order they are opened)
 * forgotten first. A stream not followed is never cut. Nothing here is trusted: whatever
 * the bytes say, a cut only splits a DATA frame into two with the same bytes in the same
 * order, and gRPC reads and checks the messages as it always does.
 */
final class MessageBoundaries {

	/** Streams followed at once per connection. */
	static final int MAX_STREAMS = 256;

	static final int END_STREAM = 0x1;

	static final int PADDED = 0x8;

	private static final int PREFIX_LENGTH = 5;

	private static final byte HEADERS = 0x1;

	private static final byte RST_STREAM = 0x3;

	private final IntObjectHashMap<Stream> streams = new IntObjectHashMap<>(8);

	/** A stream state kept for the next stream, so that unary calls allocate none. */
	private @Nullable Stream spare;

	/** Streams followed now. */
	int size() {
		return this.streams.size();
	}

	/**
	 * Follows a frame other than DATA: HEADERS open or end a stream, RST_STREAM ends it.
	 */
	void controlFrame(byte type, int flags, int streamId) {
		if (type == HEADERS) {
			if ((flags & END_STREAM) != 0) {
				forget(streamId);
			}
			else if (streamId != 0 && !this.streams.containsKey(streamId)) {
				open(streamId);
			}
		}
		else if (type == RST_STREAM) {
			forget(streamId);
		}
	}

	/**
	 * Follows a DATA frame's payload and says where to cut it: the offset in the payload
	 * at which a message that the payload leaves incomplete begins, if bytes of an
	 * earlier message come before it; 0 for no cut (the frame ends at a message boundary,
	 * or inside a message begun at its start or before it; a padded frame, a frame that
	 * ends its stream, a stream not followed).
	 * @param streamId the frame's stream
	 * @param flags the frame's flags
	 * @param payload holds the payload
	 * @param index where the payload starts in {@code payload}
	 * @param length payload length
	 */
	int dataFrame(int streamId, int flags, ByteBuf payload, int index, int length) {
		if ((flags & END_STREAM) != 0) {
			forget(streamId);
			return 0;
		}
		Stream stream = this.streams.get(streamId);
		if (stream == null || length == 0) {
			return 0;
		}
		if ((flags & PADDED) != 0) {
			// Followed, never cut: padding is flow-controlled with the frame that
			// carries it, and gRPC implementations do not pad.
			int padding = payload.getUnsignedByte(index);
			if (padding >= length) {
				// Netty fails the connection (PROTOCOL_ERROR).
				forget(streamId);
				return 0;
			}
			stream.walk(payload, index + 1, length - 1 - padding);
			return 0;
		}
		return Math.max(stream.walk(payload, index, length), 0);
	}

	/**
	 * Bytes still to come of the message a DATA frame of {@code streamId} left
	 * incomplete, once its length is known; -1 if it is not (its 5-byte prefix is not
	 * whole yet) or the stream is not followed.
	 */
	long missingBytes(int streamId) {
		Stream stream = this.streams.get(streamId);
		return (stream == null || stream.prefixSeen > 0) ? -1 : stream.bodyLeft;
	}

	private void open(int streamId) {
		Stream stream = this.spare;
		this.spare = null;
		if (stream == null) {
			stream = new Stream();
		}
		this.streams.put(streamId, stream);
		if (this.streams.size() > MAX_STREAMS) {
			int oldest = Integer.MAX_VALUE;
			for (IntObjectMap.PrimitiveEntry<Stream> entry : this.streams.entries()) {
				oldest = Math.min(oldest, entry.key());
			}
			forget(oldest);
		}
	}

	private void forget(int streamId) {
		Stream stream = this.streams.remove(streamId);
		if (stream != null) {
			stream.reset();
			this.spare = stream;
		}
	}

	/** Where a stream's message stream stands after the DATA frames seen so far. */
	private static final class Stream {

		/** Message bytes still to come of the current message, after its prefix. */
		private long bodyLeft;

		/** Prefix bytes of the next message seen, 0 to 4. */
		private int prefixSeen;

		/** Length bytes of that prefix seen so far. */
		private long prefixLength;

		/**
		 * Follows {@code length} message-stream bytes from {@code index}; returns the
		 * offset from {@code index} at which the message they leave incomplete began, -1
		 * if they end at a message boundary or inside a message begun before them. Skips
		 * message bodies, so costs one step per message, not per byte.
		 */
		int walk(ByteBuf buffer, int index, int length) {
			int position = 0;
			int incompleteStart = -1;
			while (position < length) {
				if (this.bodyLeft > 0) {
					int skip = (int) Math.min(this.bodyLeft, length - position);
					position += skip;
					this.bodyLeft -= skip;
					if (this.bodyLeft == 0) {
						incompleteStart = -1;
					}
					continue;
				}
				if (this.prefixSeen == 0) {
					incompleteStart = position;
				}
				while (this.prefixSeen < PREFIX_LENGTH && position < length) {
					if (this.prefixSeen > 0) {
						this.prefixLength = (this.prefixLength << 8) | buffer.getUnsignedByte(index + position);
					}
					this.prefixSeen++;
					position++;
				}
				if (this.prefixSeen == PREFIX_LENGTH) {
					this.bodyLeft = this.prefixLength;
					this.prefixSeen = 0;
					this.prefixLength = 0;
					if (this.bodyLeft == 0) {
						incompleteStart = -1;
					}
				}
			}
			return incompleteStart;
		}

		void reset() {
			this.bodyLeft = 0;
			this.prefixSeen = 0;
			this.prefixLength = 0;
		}

	}

}
