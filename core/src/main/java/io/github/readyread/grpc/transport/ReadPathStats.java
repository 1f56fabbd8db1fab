package io.github.readyread.grpc.transport;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.netty.channel.Channel;

/**
 * Live figures of the read path of one owner: a client channel or the server.
 *
 * <p>
 * Updated from event loops, read from anywhere. "Pinned" counts pool capacity, which is
 * what a waiting connection costs; "incomplete" counts the bytes of frames that are not
 * complete yet, which is what it must keep.
 *
 * <p>
 * Each figure has one owner: the connection's receive buffer allocator handle counts read
 * buffers taken and done with (on io_uring, where the kernel picks ring buffers and no
 * allocator is asked, the {@code ReadPathHeadHandler} counts each ring buffer slice read)
 * (once each, whichever way the read loop ends: data, EOF or an error such as a reset),
 * the {@code ReadPathHeadHandler} counts the bytes read from the socket (on both read
 * paths) and, on io_uring, the ring buffer slices read and the ring exhaustions;
 * {@code PartialFrame} counts incomplete frames.
 */
public final class ReadPathStats {

	private final String owner;

	private final AtomicLong readBuffersPinnedBytes = new AtomicLong();

	private final AtomicLong incompletePinnedBytes = new AtomicLong();

	private final AtomicLong incompleteBytes = new AtomicLong();

	private final AtomicLong incompleteFrames = new AtomicLong();

	private final LongAdder readBuffersTaken = new LongAdder();

	private final LongAdder readBuffersDone = new LongAdder();

	private final LongAdder bytesRead = new LongAdder();

	private final LongAdder ringExhaustions = new LongAdder();

	private final LongAdder framesHeldIncomplete = new LongAdder();

	private final AtomicLong connections = new AtomicLong();

	private final Set<Channel> liveChannels = ConcurrentHashMap.newKeySet();

	public ReadPathStats(String owner) {
		this.owner = owner;
	}

	/** The channel name, or {@code server}. */
	public String owner() {
		return this.owner;
	}

	/** A read buffer of {@code capacity} bytes was taken from the pool for a read. */
	public void readBufferTaken(int capacity) {
		this.readBuffersTaken.increment();
		this.readBuffersPinnedBytes.addAndGet(capacity);
	}

	/**
	 * The read path is done with a read buffer of {@code capacity} bytes: released, or
	 * its bytes handed on (gRPC may still hold a slice of a DATA frame's payload).
	 */
	public void readBufferDone(int capacity) {
		this.readBuffersDone.increment();
		this.readBuffersPinnedBytes.addAndGet(-capacity);
	}

	/** Bytes read from a connection's socket. */
	public void bytesRead(int bytes) {
		if (bytes > 0) {
			this.bytesRead.add(bytes);
		}
	}

	/**
	 * A connection's receive found its io_uring read buffer ring empty (and the ring
	 * could not grow); Netty retries the receive once the ring is refilled.
	 */
	public void ringExhausted() {
		this.ringExhaustions.increment();
	}

	public void incompleteFrameStarted() {
		this.incompleteFrames.incrementAndGet();
		this.framesHeldIncomplete.increment();
	}

	public void incompleteFrameEnded() {
		this.incompleteFrames.decrementAndGet();
	}

	public void incompleteBytesAdded(int bytes, int capacity) {
		this.incompleteBytes.addAndGet(bytes);
		this.incompletePinnedBytes.addAndGet(capacity);
	}

	public void incompleteBytesRemoved(int bytes, int capacity) {
		this.incompleteBytes.addAndGet(-bytes);
		this.incompletePinnedBytes.addAndGet(-capacity);
	}

	/**
	 * Counts a live connection until its channel closes.
	 */
	public void track(Channel channel) {
		if (this.liveChannels.add(channel)) {
			connectionOpened();
			channel.closeFuture().addListener((future) -> {
				if (this.liveChannels.remove(channel)) {
					connectionClosed();
				}
			});
		}
	}

	/** The live connections' Netty channels, for inspection. */
	public List<Channel> liveChannels() {
		return List.copyOf(this.liveChannels);
	}

	public void connectionOpened() {
		this.connections.incrementAndGet();
	}

	public void connectionClosed() {
		this.connections.decrementAndGet();
	}

	/**
	 * Pool bytes the read path holds now: read buffers in flight plus incomplete frames.
	 */
	public long pinnedBytes() {
		return this.readBuffersPinnedBytes.get() + this.incompletePinnedBytes.get();
	}

	/**
	 * Pool bytes of read buffers taken and not done with yet: those of the reads in
	 * progress on the event loops, 0 between reads.
	 */
	public long readBuffersPinnedBytes() {
		return this.readBuffersPinnedBytes.get();
	}

	/** Pool bytes held for incomplete frames. */
	public long incompletePinnedBytes() {
		return this.incompletePinnedBytes.get();
	}

	/** Bytes of incomplete frames held in the process (not those left in the kernel). */
	public long incompleteBytes() {
		return this.incompleteBytes.get();
	}

	public long incompleteFrames() {
		return this.incompleteFrames.get();
	}

	/** Read buffers taken from the pool so far. */
	public long readBuffersTaken() {
		return this.readBuffersTaken.sum();
	}

	/**
	 * Read buffers the read path is done with so far: released, or their bytes handed on
	 * to gRPC, which may keep a slice of one (DATA payload) until the application reads
	 * the message, so this is not a count of buffers back in the pool. Equal to
	 * {@link #readBuffersTaken()} between reads.
	 */
	public long readBuffersDone() {
		return this.readBuffersDone.sum();
	}

	/**
	 * Frames whose bytes were held in the process while incomplete so far (copied out of
	 * the reads that brought them until the frame was whole). On epoll with adaptive
	 * reads, large frames held whole (ALTS records of 32 KiB or more) are read exactly, a
	 * header alone and then the frame in one read, so they are seldom among them.
	 */
	public long framesHeldIncomplete() {
		return this.framesHeldIncomplete.sum();
	}

	/** Times a receive found the io_uring read buffer ring empty, so far. */
	public long ringExhaustions() {
		return this.ringExhaustions.sum();
	}

	/** Bytes read from the sockets so far. */
	public long bytesRead() {
		return this.bytesRead.sum();
	}

	public long connections() {
		return this.connections.get();
	}

}
