package io.github.readyread.grpc.transport.internal;

import java.util.ArrayList;
import java.util.List;

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
 *
 * <p>
 * The whole frames of a read are followed before any goes on ({@link #beginRead},
 * {@link #followData}, {@link #endRead}), so that the aligner knows, for every DATA
 * frame, whether its bytes belong to messages the read completes or to the message a
 * stream waits in once the read is done (its <em>trailing</em> message): a stream's
 * {@link Stream#trailStart} and {@link Stream#trailBytes} say where that message begins
 * in the read and how many of its bytes the read holds.
 */
final class MessageBoundaries {

	/** Streams followed at once per connection. */
	static final int MAX_STREAMS = 256;

	static final int END_STREAM = 0x1;

	static final int PADDED = 0x8;

	private static final int PREFIX_LENGTH = 5;

	private static final byte HEADERS = 0x1;

	private static final byte RST_STREAM = 0x3;

	/** {@link Stream#trailStart} of a stream that waits in no message. */
	static final int NONE = Integer.MAX_VALUE;

	private final IntObjectHashMap<Stream> streams = new IntObjectHashMap<>(8);

	/** A stream state kept for the next stream, so that unary calls allocate none. */
	private @Nullable Stream spare;

	/** Streams ended during the read being followed, recycled once it is done. */
	private final List<Stream> ended = new ArrayList<>(4);

	/** Counts the reads followed, so that a stream knows the first frame of each. */
	private long reads;

	private boolean inRead;

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
	 * Starts following the whole frames of one read, in order: DATA frames with
	 * {@link #followData}, others with {@link #controlFrame}; {@link #endRead} when done.
	 * Until then the states of streams that end stay as they are, for the caller to read.
	 */
	void beginRead() {
		this.reads++;
		this.inRead = true;
	}

	/** Ends the read begun with {@link #beginRead}. */
	void endRead() {
		this.inRead = false;
		for (Stream stream : this.ended) {
			stream.reset();
			this.spare = stream;
		}
		this.ended.clear();
	}

	/**
	 * Follows a whole DATA frame of the read being followed.
	 * @param streamId the frame's stream
	 * @param flags the frame's flags
	 * @param in holds the payload
	 * @param index where the payload starts in {@code in}
	 * @param length payload length
	 * @return the stream's state after the frame, valid until {@link #endRead}, or
	 * {@code null} if the stream is not followed
	 */
	@Nullable Stream followData(int streamId, int flags, ByteBuf in, int index, int length) {
		Stream stream = this.streams.get(streamId);
		if (stream == null) {
			return null;
		}
		if (stream.read != this.reads) {
			stream.read = this.reads;
			stream.trailStart = stream.atBoundary() ? NONE : index;
			stream.trailBytes = 0;
		}
		dataFrame(streamId, flags, in, index, length);
		return stream;
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
			stream.follow(payload, index + 1, length - 1 - padding);
			return 0;
		}
		return Math.max(stream.follow(payload, index, length), 0);
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
			forget(oldest, false);
		}
	}

	private void forget(int streamId) {
		forget(streamId, true);
	}

	/**
	 * Stops following a stream that ended (or was reset), or that is dropped to make
	 * room; in a read being followed its state stays for the caller until the read ends.
	 */
	private void forget(int streamId, boolean ended) {
		Stream stream = this.streams.remove(streamId);
		if (stream == null) {
			return;
		}
		if (this.inRead) {
			stream.ended = ended;
			stream.dropped = !ended;
			stream.trailStart = NONE;
			this.ended.add(stream);
			return;
		}
		stream.reset();
		this.spare = stream;
	}

	/** Where a stream's message stream stands after the DATA frames seen so far. */
	static final class Stream {

		/** The read (of {@link #beginRead}) in which the trail fields were set. */
		private long read;

		/**
		 * Where the message the stream waits in after the frames followed begins in the
		 * read (or where its first frame in the read starts, if the message began in an
		 * earlier read); {@link #NONE} if it waits in none (or ended).
		 */
		int trailStart = NONE;

		/** Payload bytes of that message in the read. */
		int trailBytes;

		/** Whether the stream ended (or was reset) in the read. */
		boolean ended;

		/** Whether the stream stopped being followed in the read, to make room. */
		boolean dropped;

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

		boolean atBoundary() {
			return this.bodyLeft == 0 && this.prefixSeen == 0;
		}

		/**
		 * {@link #walk}s {@code length} message-stream bytes from {@code index} and keeps
		 * the trailing message's place in the read.
		 */
		int follow(ByteBuf buffer, int index, int length) {
			int incompleteStart = walk(buffer, index, length);
			if (incompleteStart >= 0) {
				this.trailStart = index + incompleteStart;
				this.trailBytes = length - incompleteStart;
			}
			else if (atBoundary()) {
				this.trailStart = NONE;
				this.trailBytes = 0;
			}
			else {
				this.trailBytes += length;
			}
			return incompleteStart;
		}

		void reset() {
			this.bodyLeft = 0;
			this.prefixSeen = 0;
			this.prefixLength = 0;
			this.read = 0;
			this.trailStart = NONE;
			this.trailBytes = 0;
			this.ended = false;
			this.dropped = false;
		}

	}

}
