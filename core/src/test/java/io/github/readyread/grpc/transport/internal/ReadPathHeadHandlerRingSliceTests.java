package io.github.readyread.grpc.transport.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.WrappedByteBuf;
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
		ByteBuf buffer = this.pool.directBuffer(64);
		ByteBuf slice = buffer.retainedSlice(0, 16);
		try {
			assertThat(ReadPathHeadHandler.isSlice(slice)).isTrue();
			assertThat(ReadPathHeadHandler.isSlice(new WrappedByteBuf(slice) {
			})).isTrue();
		}
		finally {
			slice.release();
			buffer.release();
		}
	}

	@Test
	void anAllocatedBufferIsNoRingSliceWrappedOrNot() {
		ByteBuf buffer = this.pool.directBuffer(64);
		try {
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
