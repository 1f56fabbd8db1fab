package io.github.readyread.grpc.readpath;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;

import io.github.readyread.grpc.alts.AltsNegotiator;
import io.github.readyread.grpc.alts.AltsSettings;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One side (client or server) of an ALTS test with its own transport, pool and figures,
 * wired as the starter wires it: {@link ReadyReadTransport} with ALTS negotiators.
 */
final class AltsSide implements AutoCloseable {

	final NettyTransport transport;

	final PooledBufferAllocator pool = new PooledBufferAllocator(
			new PoolSettings(4 * 1024 * 1024, 2, true, Duration.ZERO, true));

	final ReadyReadTransport readyRead;

	/** Figures of this side's client channels. */
	final ReadPathStats stats;

	/** Figures of this side's server connections. */
	final ReadPathStats serverStats;

	private final EmbeddedHandshaker handshaker;

	AltsSide(String transport, ReadPath readPath, EmbeddedHandshaker handshaker) {
		this(transport, readPath, ReadSizing.ADAPTIVE, handshaker);
	}

	AltsSide(String transport, ReadPath readPath, ReadSizing sizing, EmbeddedHandshaker handshaker) {
		this.handshaker = handshaker;
		if ("epoll".equals(transport)) {
			assumeTrue(Epoll.isAvailable(), "native epoll unavailable here");
		}
		if ("io_uring".equals(transport)) {
			assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(), "io_uring unavailable here");
		}
		this.transport = NettyTransport.select(TransportType.valueOf(transport.toUpperCase(Locale.ROOT)), 2,
				Duration.ZERO, Duration.ofSeconds(5), new ReadBufferRing(this.pool.allocator(), 8, 32 * 1024));
		this.readyRead = new ReadyReadTransport(this.transport, this.pool, readPath, 64 * 1024, sizing, Duration.ZERO);
		this.stats = this.readyRead.statsFor("side");
		this.serverStats = this.readyRead.serverStats();
	}

	Server startServer(ServerServiceDefinition service) throws IOException {
		NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
			.directExecutor()
			.addService(service);
		this.readyRead.configure(builder, AltsNegotiator.server(settings(true)));
		return builder.build().start();
	}

	ManagedChannel channel(int port) {
		NettyChannelBuilder builder = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
			.usePlaintext()
			.directExecutor();
		this.readyRead.configure(builder, "side", "127.0.0.1:" + port, AltsNegotiator.client(settings(false)));
		return builder.build();
	}

	private AltsSettings settings(boolean server) {
		ReadPathStats owner = server ? this.serverStats : this.stats;
		return AltsSettings.of(this.handshaker.channel(), owner)
			.withPlaintextStage(this.readyRead.plaintextStage(server, owner));
	}

	/**
	 * Pool bytes pinned outside the io_uring read buffer rings (which belong to the event
	 * loops, not to connections): all of them on other transports.
	 */
	long pinnedOutsideRings() {
		ReadBufferRing ring = this.transport.readBufferRing();
		return this.pool.pinnedDirectBytes() - ((ring != null) ? ring.bytesInRings() : 0);
	}

	@Override
	public void close() {
		this.readyRead.close();
		this.transport.close();
	}

}
