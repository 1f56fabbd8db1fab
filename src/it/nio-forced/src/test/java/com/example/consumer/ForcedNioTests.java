package com.example.consumer;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadMode;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import net.devh.boot.grpc.client.inject.GrpcClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest
class ForcedNioTests {

	@GrpcClient("first")
	Channel first;

	@Autowired
	ReadyReadTransport transport;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	NettyTransport nettyTransport;

	@Autowired
	PooledBufferAllocator pool;

	@Test
	void transportNioRunsNioChannelsOnTheSharedAllocator() {
		assertThat(this.nettyTransport.type()).isEqualTo(TransportType.NIO);
		assertThat(this.transport.mode()).isEqualTo(ReadyReadMode.FALLBACK);
		byte[] reply = ClientCalls.blockingUnaryCall(this.first, EchoService.ECHO, CallOptions.DEFAULT, new byte[] { 7 });
		assertThat(reply).containsExactly(7);
		assertThat(this.readPaths.channel("first").stats().liveChannels()).singleElement().satisfies((channel) -> {
			assertThat(channel).isInstanceOf(NioSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
		assertThat(this.readPaths.server().stats().liveChannels()).singleElement().satisfies((channel) -> {
			assertThat(channel).isInstanceOf(NioSocketChannel.class);
			assertThat(channel.parent()).isInstanceOf(NioServerSocketChannel.class);
			assertThat(channel.config().getAllocator()).isSameAs(this.pool.allocator());
		});
	}

}
