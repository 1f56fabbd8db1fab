package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;

/**
 * One configuration's gRPC server and client channels, each side on its own pool so that
 * server and client figures are exact even in one process.
 */
abstract class Rig implements AutoCloseable {

	private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

	/** Counted by the rigs' counting allocators, client and server. */
	protected final LongAdder poolBytesTaken = new LongAdder();

	private Server server;

	/**
	 * @param config configuration
	 * @param security plaintext or ALTS
	 * @param handshakerTarget {@code host:port} of the ALTS handshaker, {@code null} for
	 * plaintext
	 */
	static Rig create(Config config, Security security, String handshakerTarget) {
		if (security == Security.ALTS && handshakerTarget == null) {
			throw new IllegalArgumentException("ALTS needs a handshaker");
		}
		LeakDetection.sameForBoth();
		return switch (config) {
			case STOCK -> new StockRig(security, handshakerTarget);
			case PLAIN -> new PlainRig(security);
			default -> new OurRig(config, security, handshakerTarget);
		};
	}

	/** Starts the server on an ephemeral loopback port. */
	InetSocketAddress startServer(ServerServiceDefinition service) {
		return startServer(service, null, null);
	}

	/**
	 * Starts the server on an ephemeral loopback port.
	 * @param headHandler makes a handler put first (next to the socket) in each accepted
	 * connection's pipeline, or {@code null}
	 * @param plaintextHandler makes a handler put where each accepted connection's HTTP/2
	 * bytes are plaintext, next to gRPC's HTTP/2 handler (behind the head handler on
	 * plaintext, behind the ALTS record layer on ALTS), or {@code null}
	 */
	InetSocketAddress startServer(ServerServiceDefinition service,
			Supplier<io.netty.channel.ChannelHandler> headHandler,
			Supplier<io.netty.channel.ChannelHandler> plaintextHandler) {
		try {
			this.server = buildServer(service, headHandler, plaintextHandler).start();
		}
		catch (java.io.IOException ex) {
			throw new IllegalStateException(ex);
		}
		return new InetSocketAddress("127.0.0.1", this.server.getPort());
	}

	abstract Server buildServer(ServerServiceDefinition service, Supplier<io.netty.channel.ChannelHandler> headHandler,
			Supplier<io.netty.channel.ChannelHandler> plaintextHandler);

	/** A new client channel (one connection) to {@code target}. */
	ManagedChannel newChannel(String name, InetSocketAddress target) {
		ManagedChannel channel = buildChannel(name, target);
		this.channels.add(channel);
		return channel;
	}

	abstract ManagedChannel buildChannel(String name, InetSocketAddress target);

	abstract PoolFigures clientPool();

	/**
	 * Bytes of buffers the client's and the server's channels have taken from their pools
	 * so far (capacity asked for, whether released since or not).
	 */
	long poolBytesTaken() {
		return this.poolBytesTaken.sum();
	}

	abstract PoolFigures serverPool();

	/** Pool bytes held by the client read paths, or -1 where not measured (stock). */
	abstract long clientReadPathPinned();

	/** Transport actually used, e.g. {@code epoll}. */
	abstract String transportName();

	/** Shuts every channel and the server down and waits for them. */
	void closeConnections() {
		for (ManagedChannel channel : this.channels) {
			channel.shutdownNow();
		}
		for (ManagedChannel channel : this.channels) {
			try {
				channel.awaitTermination(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		this.channels.clear();
		if (this.server != null) {
			this.server.shutdownNow();
			try {
				this.server.awaitTermination(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.server = null;
		}
	}

	@Override
	public void close() {
		closeConnections();
		closeResources();
	}

	abstract void closeResources();

}
