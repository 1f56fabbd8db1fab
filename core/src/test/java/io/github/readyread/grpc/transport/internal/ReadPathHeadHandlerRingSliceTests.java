package io.github.readyread.grpc.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.WrappedByteBuf;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for how {@link ReadPathHeadHandler} tells an io_uring ring slice, which it counts
 * as a read buffer, from a buffer the read buffer allocator counted itself: leak
 * detection's wrappers must not make the second look like the first.
 */
class ReadPathHeadHandlerRingSliceTests {

	private final PooledByteBufAllocator pool = new PooledByteBufAllocator(true);

	@Test
	void aSliceIsARingSliceWrappedOrNot() {
		ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
		ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
		ByteBuf buffer;
		ByteBuf slice;
		try {
			buffer = this.pool.directBuffer(64);
			slice = buffer.retainedSlice(0, 16);
		}
		finally {
			ResourceLeakDetector.setLevel(level);
		}
		try {
			assertThat(slice).as("leak detection's wrapper").isInstanceOf(WrappedByteBuf.class);
			assertThat(ReadPathHeadHandler.isSlice(slice)).isTrue();
			assertThat(ReadPathHeadHandler.isSlice(slice.unwrap())).isTrue();
			assertThat(ReadPathHeadHandler.isSlice(new WrappedByteBuf(slice) {
			})).isTrue();
		}
		finally {
			slice.release();
			buffer.release();
		}
	}

	/**
	 * Netty's own leak detection wrapper (every buffer at the paranoid level), and a
	 * wrapper of any kind, around a buffer the allocator handed out.
	 */
	@Test
	void anAllocatedBufferIsNoRingSliceWrappedOrNot() {
		ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
		ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
		ByteBuf buffer;
		try {
			buffer = this.pool.directBuffer(64);
		}
		finally {
			ResourceLeakDetector.setLevel(level);
		}
		try {
			assertThat(buffer).as("leak detection's wrapper").isInstanceOf(WrappedByteBuf.class);
			assertThat(ReadPathHeadHandler.isSlice(buffer)).isFalse();
			assertThat(ReadPathHeadHandler.isSlice(new WrappedByteBuf(buffer) {
			})).isFalse();
			ByteBuf unwrapped = buffer;
			while (unwrapped instanceof WrappedByteBuf) {
				unwrapped = unwrapped.unwrap();
			}
			assertThat(ReadPathHeadHandler.isSlice(unwrapped)).isFalse();
		}
		finally {
			buffer.release();
		}
	}

}
