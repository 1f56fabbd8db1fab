package io.github.readyread.grpc.alts.internal;

import java.nio.channels.ClosedChannelException;
import java.security.GeneralSecurityException;

import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.handler.codec.UnsupportedMessageTypeException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;
import org.jspecify.annotations.Nullable;

/**
 * Protects written plaintext into ALTS record frames when the channel is flushed.
 *
 * <pre>
 *   write(a) write(b) flush()  -&gt;  [len|6|enc(a+b part 1)|tag] [len|6|enc(part 2)|tag] ...
 * </pre>
 *
 * Writes are queued until flush, like grpc-java's {@code TsiFrameHandler}, so small
 * writes share frames; each frame is at most the negotiated size and is allocated from
 * the channel's allocator. A write's promise completes when every frame carrying its
 * bytes is written. Queued writes are released and failed on close and removal.
 *
 * <p>
 * A record is sealed from its plaintext into the frame, never in place: Conscrypt's JNI
 * layer copies an input that overlaps the output into a new heap array before BoringSSL
 * sees it (measured: a tenth of the encoder's CPU on 16 KiB records; on 128 KiB records
 * about what the gathering buffer's allocation costs). The plaintext is the write itself
 * when it is one region of one direct write; otherwise it is gathered into a pooled
 * buffer of its size first (docs/THROUGHPUT-STUDY.md section 15).
 *
 * <p>
 * Queued plaintext counts towards the channel's writability while it waits (a Netty
 * {@link PendingWriteQueue}, as in {@code TsiFrameHandler}): HTTP/2's flow controller
 * then hands over about a write buffer's worth (Netty's 64 KiB high water mark) per pass,
 * and a large message leaves as records the peer decrypts while this side protects the
 * next ones, instead of a whole flow control window protected before the socket sees its
 * first byte (docs/THROUGHPUT-STUDY.md section 13).
 */
final class AltsRecordEncoder extends ChannelOutboundHandlerAdapter {

	private final AltsCrypter crypter;

	private final int maxFrameSize;

	private final int maxPlaintextPerFrame;

	private @Nullable PendingWriteQueue pending;

	private long pendingBytes;

	private boolean closed;

	/**
	 * An encoder of frames of at most {@code maxFrameSize} bytes.
	 * @param crypter the sending crypter of this connection
	 * @param maxFrameSize negotiated maximum size of a whole frame, header included
	 */
	AltsRecordEncoder(AltsCrypter crypter, int maxFrameSize) {
		if (crypter == null) {
			throw new NullPointerException("crypter is required");
		}
		if (maxFrameSize <= AltsRecordDecoder.HEADER_BYTES + AltsCrypter.TAG_LENGTH
				|| maxFrameSize > AltsFrameSizes.HARD_LIMIT) {
			throw new IllegalArgumentException("maxFrameSize out of range: " + maxFrameSize);
		}
		this.crypter = crypter;
		this.maxFrameSize = maxFrameSize;
		this.maxPlaintextPerFrame = maxFrameSize - AltsRecordDecoder.HEADER_BYTES - AltsCrypter.TAG_LENGTH;
	}

	int maxFrameSize() {
		return this.maxFrameSize;
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (!(msg instanceof ByteBuf buf)) {
			ReferenceCountUtil.release(msg);
			promise.setFailure(new UnsupportedMessageTypeException(msg, ByteBuf.class));
			return;
		}
		if (this.closed) {
			buf.release();
			promise.setFailure(new ClosedChannelException());
			return;
		}
		queue(ctx).add(buf, promise);
		this.pendingBytes += buf.readableBytes();
	}

	@Override
	public void flush(ChannelHandlerContext ctx) {
		PendingWriteQueue queue = this.pending;
		if (queue == null || queue.isEmpty()) {
			ctx.flush();
			return;
		}
		PromiseCombiner frames = new PromiseCombiner(ctx.executor());
		ChannelPromise[] promises = new ChannelPromise[queue.size()];
		int promiseCount = 0;
		long remaining = this.pendingBytes;
		try {
			while (remaining > 0) {
				int plain = (int) Math.min(remaining, this.maxPlaintextPerFrame);
				ByteBuf frame = ctx.alloc()
					.directBuffer(AltsRecordDecoder.HEADER_BYTES + plain + AltsCrypter.TAG_LENGTH);
				try {
					frame.writeIntLE(4 + plain + AltsCrypter.TAG_LENGTH);
					frame.writeIntLE(AltsRecordDecoder.FRAME_TYPE);
					ByteBuf head = (ByteBuf) queue.current();
					if (head.readableBytes() >= plain && AltsCrypter.sealsWithoutCopy(head)) {
						// The record's plaintext is one region of one write: sealed from
						// there, no copy.
						this.crypter.encrypt(frame, head.readSlice(plain));
						if (!head.isReadable()) {
							promises[promiseCount++] = queue.remove();
						}
					}
					else {
						// Gathered into a buffer of their own, not into the frame,
						// which Conscrypt would copy again to seal it onto itself.
						ByteBuf gathered = ctx.alloc().directBuffer(plain, plain);
						try {
							promiseCount = gather(queue, gathered, promises, promiseCount);
							this.crypter.encrypt(frame, gathered);
						}
						finally {
							gathered.release();
						}
					}
				}
				catch (GeneralSecurityException | RuntimeException ex) {
					frame.release();
					throw ex;
				}
				remaining -= plain;
				this.pendingBytes -= plain;
				frames.add(ctx.write(frame));
			}
			// Empty writes left at the head carry no bytes and complete with this flush.
			while (!queue.isEmpty() && !((ByteBuf) queue.current()).isReadable()) {
				promises[promiseCount++] = queue.remove();
			}
		}
		catch (GeneralSecurityException | RuntimeException ex) {
			Status status = Status.INTERNAL.withDescription("ALTS record protection failed: " + ex.getMessage())
				.withCause(ex);
			for (int i = 0; i < promiseCount; i++) {
				promises[i].tryFailure(status.asRuntimeException());
			}
			failPending(status.asRuntimeException());
			ctx.flush();
			ctx.fireExceptionCaught(status.asRuntimeException());
			return;
		}
		ChannelPromise all = ctx.newPromise();
		int count = promiseCount;
		all.addListener((future) -> {
			for (int i = 0; i < count; i++) {
				if (future.isSuccess()) {
					promises[i].trySuccess();
				}
				else {
					promises[i].tryFailure(future.cause());
				}
			}
		});
		frames.finish(all);
		ctx.flush();
	}

	/**
	 * Moves queued bytes into {@code gathered} until it is full, removing each write once
	 * drained and adding its promise to {@code promises}.
	 * @return the number of promises in {@code promises} now
	 */
	private static int gather(PendingWriteQueue queue, ByteBuf gathered, ChannelPromise[] promises, int promiseCount) {
		int count = promiseCount;
		while (gathered.isWritable()) {
			ByteBuf head = (ByteBuf) queue.current();
			gathered.writeBytes(head, Math.min(gathered.writableBytes(), head.readableBytes()));
			if (!head.isReadable()) {
				promises[count++] = queue.remove();
			}
		}
		return count;
	}

	@Override
	public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
		this.closed = true;
		failPending(new ClosedChannelException());
		ctx.close(promise);
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		this.closed = true;
		failPending(new ClosedChannelException());
	}

	private PendingWriteQueue queue(ChannelHandlerContext ctx) {
		PendingWriteQueue queue = this.pending;
		if (queue == null) {
			queue = new PendingWriteQueue(ctx);
			this.pending = queue;
		}
		return queue;
	}

	private void failPending(Throwable cause) {
		if (this.pending != null) {
			this.pending.removeAndFailAll(cause);
		}
		this.pendingBytes = 0;
	}

}
