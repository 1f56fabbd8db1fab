package com.example.consumer;

import java.util.ArrayList;
import java.util.List;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import net.devh.boot.grpc.client.inject.GrpcClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@SpringBootTest
class SharedAllocatorTests {

	@GrpcClient("first")
	Channel first;

	@GrpcClient("second")
	Channel second;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	PooledBufferAllocator pool;

	@Test
	void liveChannelsAreEpollAndShareTheOneAllocator() {
		assumeTrue(Epoll.isAvailable(), "native epoll unavailable on this machine");
		assertThat(call(this.first, "hello")).isEqualTo("hello");
		assertThat(call(this.second, "world")).isEqualTo("world");

		List<io.netty.channel.Channel> clients = new ArrayList<>(this.readPaths.channel("first").stats().liveChannels());
		clients.addAll(this.readPaths.channel("second").stats().liveChannels());
		List<io.netty.channel.Channel> accepted = this.readPaths.server().stats().liveChannels();
		assertThat(clients).hasSize(2).allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(accepted).hasSize(2).allSatisfy((channel) -> {
			assertThat(channel).isInstanceOf(EpollSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
			assertThat(channel.parent()).isInstanceOf(EpollServerSocketChannel.class);
			assertThat(channel.parent().config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(this.pool.settings().chunkSize()).isEqualTo(1024 * 1024);
	}

	private static String call(Channel channel, String text) {
		return new String(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, text.getBytes()));
	}

}
