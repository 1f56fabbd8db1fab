package io.github.readyread.grpc.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ConnectionInstrumentation}: handlers an instrumentation adds to each
 * connection of a server through {@link ReadyReadTransport}'s own configuration path.
 */
class ConnectionInstrumentationTests {

	private final NettyTransport loops = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO,
			Duration.ofSeconds(1));

	private final PooledBufferAllocator pool = new PooledBufferAllocator(
			new PoolSettings(1024 * 1024, 1, true, Duration.ZERO, true));

	private final List<ReadyReadTransport> transports = new ArrayList<>();

	private final List<Server> servers = new ArrayList<>();

	private final List<ManagedChannel> channels = new ArrayList<>();

	@AfterEach
	void close() throws InterruptedException {
		for (ManagedChannel channel : this.channels) {
			channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		for (Server server : this.servers) {
			server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
		}
		this.transports.forEach(ReadyReadTransport::close);
		this.loops.close();
	}

	@ParameterizedTest
	@EnumSource(ReadPath.class)
	void headHandlerIsFirstInEachPlaintextConnectionAndCallsStillWork(ReadPath readPath) throws Exception {
		ReadyReadTransport transport = transport(readPath);
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.addService(new EchoService());
		ReadPathStats stats = transport
			.configure(builder, TransportSecurity.plaintext(), ConnectionInstrumentation.headHandler(Head::new))
			.stats();
		int port = start(builder);
		ManagedChannel channel = channel(transport, port);
		assertThat(EchoService.call(channel, new byte[] { 1, 2, 3 })).containsExactly(1, 2, 3);
		assertThat(stats.liveChannels()).singleElement()
			.satisfies((connection) -> assertThat(connection.pipeline().first()).isInstanceOf(Head.class));
		assertThat(stats.bytesRead()).as("the read path still counts what it reads").isPositive();
	}

	@Test
	void plaintextHandlerSitsRightInFrontOfGrpcsHandlerBehindTheHeadOnTheConventionalPath() throws Exception {
		ReadyReadTransport transport = transport(ReadPath.CONVENTIONAL);
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.addService(new EchoService());
		ReadPathStats stats = transport
			.configure(builder, TransportSecurity.plaintext(),
					ConnectionInstrumentation.headHandler(Head::new).withPlaintextHandler(Plain::new))
			.stats();
		int port = start(builder);
		try (Socket socket = new Socket("127.0.0.1", port)) {
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(stats.liveChannels()).hasSize(1);
				List<ChannelHandler> handlers = handlers(stats.liveChannels().get(0).pipeline());
				assertThat(handlers.get(0)).isInstanceOf(Head.class);
				int plain = indexOf(handlers, Plain.class);
				assertThat(plain).isPositive();
				assertThat(handlers.get(plain + 1)).isInstanceOf(GrpcHttp2ConnectionHandler.class);
			});
		}
	}

	@Test
	void onAltsTheHeadIsFirstAndThePlaintextHandlerIsTheStageBehindTheRecordLayer() throws Exception {
		List<Supplier<ChannelHandler>> stages = new ArrayList<>();
		TransportSecurity alts = TransportSecurity.alts((owner, stage) -> {
			stages.add(stage);
			return (grpcHandler, demand) -> new ChannelInboundHandlerAdapter();
		});
		Supplier<ChannelHandler> plain = Plain::new;
		ReadyReadTransport transport = transport(ReadPath.CONVENTIONAL);
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
		ReadPathStats stats = transport
			.configure(builder, alts, ConnectionInstrumentation.headHandler(Head::new).withPlaintextHandler(plain))
			.stats();
		assertThat(stages).containsExactly(plain);
		int port = start(builder);
		try (Socket socket = new Socket("127.0.0.1", port)) {
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				assertThat(stats.liveChannels()).hasSize(1);
				assertThat(stats.liveChannels().get(0).pipeline().first()).isInstanceOf(Head.class);
			});
		}
	}

	@Test
	void aPlaintextHandlerNeedsTheConventionalReadPath() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext(),
					ConnectionInstrumentation.NONE.withPlaintextHandler(Plain::new)))
			.withMessageContaining("conventional read path");
	}

	@Test
	void keptSecurityTakesNoInstrumentation() {
		ReadyReadTransport transport = transport(ReadPath.CONVENTIONAL);
		assertThatIllegalArgumentException().isThrownBy(() -> transport.configure(NettyServerBuilder.forPort(0),
				TransportSecurity.kept(), ConnectionInstrumentation.headHandler(Head::new)))
			.withMessageContaining("own negotiator");
	}

	private static List<ChannelHandler> handlers(ChannelPipeline pipeline) {
		return new ArrayList<>(pipeline.toMap().values());
	}

	private static int indexOf(List<ChannelHandler> handlers, Class<?> type) {
		for (int i = 0; i < handlers.size(); i++) {
			if (type.isInstance(handlers.get(i))) {
				return i;
			}
		}
		return -1;
	}

	private ReadyReadTransport transport(ReadPath readPath) {
		ReadyReadTransport transport = new ReadyReadTransport(this.loops, this.pool,
				TransportSettings.builder().readPath(readPath).build(), new ReadPathRegistry());
		this.transports.add(transport);
		return transport;
	}

	private int start(NettyServerBuilder builder) throws IOException {
		Server server = builder.build().start();
		this.servers.add(server);
		return server.getPort();
	}

	private ManagedChannel channel(ReadyReadTransport transport, int port) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
		transport.configure(builder, "echo", "127.0.0.1:" + port, TransportSecurity.plaintext());
		ManagedChannel channel = builder.build();
		this.channels.add(channel);
		return channel;
	}

	/** Stands for a benchmark's head handler: passes everything on. */
	static final class Head extends ChannelDuplexHandler {

	}

	/** Stands for a benchmark's plaintext handler: passes everything on. */
	static final class Plain extends ChannelDuplexHandler {

	}

}
