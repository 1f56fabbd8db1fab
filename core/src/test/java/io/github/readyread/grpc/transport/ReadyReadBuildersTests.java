package io.github.readyread.grpc.transport;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests for {@link ReadyReadBuilders} with servers and channels on Unix domain sockets,
 * which the transport (TCP only) leaves as the integration built them, and which must not
 * lose the ALTS an application asked for.
 */
class ReadyReadBuildersTests {

	private static final ChannelSecurity ALTS_FOR_ALL = (owner) -> TransportSecurity.alts((stats, stage) -> {
		throw new AssertionError("no ALTS negotiator for a domain socket");
	});

	private static final ReadyReadBuilders.Platform PLATFORM = new ReadyReadBuilders.Platform() {

		@Override
		public String serverSecurity(ConnectionSecurity installed) {
			return installed.displayName();
		}

		@Override
		public String channelSecurity(String name, ConnectionSecurity installed) {
			return installed.displayName();
		}

	};

	private final NettyTransport loops = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO,
			Duration.ofSeconds(1));

	private final PooledBufferAllocator pool = new PooledBufferAllocator(
			new PoolSettings(1024 * 1024, 1, true, Duration.ZERO, true));

	private final ReadPathRegistry registry = new ReadPathRegistry();

	private final ReadyReadTransport transport = new ReadyReadTransport(this.loops, this.pool,
			TransportSettings.builder().build(), this.registry);

	@AfterEach
	void close() {
		this.transport.close();
		this.loops.close();
	}

	@Test
	void serverAndChannelOnADomainSocketKeepTheirOwnEventLoopsAndServe(@TempDir Path dir) throws Exception {
		assumeTrue(Epoll.isAvailable(), "domain sockets need native epoll");
		String path = dir.resolve("grpc.sock").toString();
		EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
		ReadyReadBuilders builders = new ReadyReadBuilders(this.transport, ChannelSecurity.NONE, PLATFORM);
		NettyServerBuilder serverBuilder = NettyServerBuilder.forAddress(new DomainSocketAddress(path))
			.channelType(EpollServerDomainSocketChannel.class)
			.bossEventLoopGroup(group)
			.workerEventLoopGroup(group)
			.addService(new EchoService());
		// By address: with grpc-netty-shaded on this class path, its resolver would take
		// the unix: target.
		NettyChannelBuilder channelBuilder = NettyChannelBuilder.forAddress(new DomainSocketAddress(path))
			.channelType(EpollDomainSocketChannel.class)
			.eventLoopGroup(group)
			.usePlaintext();
		assertThat(builders.configureServer(serverBuilder)).isNull();
		assertThat(builders.configureChannel(channelBuilder, "local", "unix:" + path)).isNull();
		assertThat(this.registry.registrations()).isEmpty();
		Server server = serverBuilder.build().start();
		ManagedChannel channel = channelBuilder.build();
		try {
			byte[] request = "over a domain socket".getBytes(StandardCharsets.UTF_8);
			assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, request))
				.isEqualTo(request);
		}
		finally {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
			group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
		}
	}

	@Test
	void altsAskedForAServerOnADomainSocketFailsNamingBoth(@TempDir Path dir) {
		ReadyReadBuilders builders = new ReadyReadBuilders(this.transport, ALTS_FOR_ALL, PLATFORM);
		NettyServerBuilder builder = NettyServerBuilder.forPort(0)
			.addListenAddress(new DomainSocketAddress(dir.resolve("grpc.sock").toString()));
		assertThatIllegalStateException().isThrownBy(() -> builders.configureServer(builder))
			.withMessageContaining("grpc.ready-read.alts.server=true")
			.withMessageContaining("Unix domain socket");
		assertThat(this.registry.server()).isNull();
	}

	@Test
	void altsAskedForAChannelToADomainSocketFailsNamingIt() {
		ReadyReadBuilders builders = new ReadyReadBuilders(this.transport, ALTS_FOR_ALL, PLATFORM);
		NettyChannelBuilder builder = NettyChannelBuilder.forTarget("unix:/run/app.sock").usePlaintext();
		assertThatIllegalStateException()
			.isThrownBy(() -> builders.configureChannel(builder, "local", "unix:/run/app.sock"))
			.withMessageContaining("gRPC channel 'local'")
			.withMessageContaining("grpc.ready-read.alts.client-channels")
			.withMessageContaining("unix:/run/app.sock");
		assertThat(this.registry.registrations()).isEmpty();
	}

	@Test
	void altsAskedForATcpServerStillGetsIt() {
		ReadyReadBuilders builders = new ReadyReadBuilders(this.transport,
				(owner) -> TransportSecurity.alts(
						(stats, stage) -> (grpcHandler, demand) -> new io.netty.channel.ChannelInboundHandlerAdapter()),
				PLATFORM);
		assertThat(builders.configureServer(NettyServerBuilder.forPort(0)).security())
			.isEqualTo(ConnectionSecurity.ALTS);
	}

}
