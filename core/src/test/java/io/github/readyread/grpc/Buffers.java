package io.github.readyread.grpc;

import io.netty.buffer.ByteBuf;

/**
 * Test helpers for looking under buffers.
 */
public final class Buffers {

	private Buffers() {
	}

	/**
	 * The buffer under every wrapper and view of {@code buffer} (at PARANOID leak
	 * detection every buffer is in a leak-aware wrapper): the memory it keeps.
	 */
	public static ByteBuf root(ByteBuf buffer) {
		ByteBuf root = buffer;
		while (root.unwrap() != null) {
			root = root.unwrap();
		}
		return root;
	}

}
