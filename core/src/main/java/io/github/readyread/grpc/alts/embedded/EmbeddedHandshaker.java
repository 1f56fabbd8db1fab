package io.github.readyread.grpc.alts.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * Runs an {@link EmbeddedHandshakerService} in this process, in-process and optionally on
 * a loopback TCP port for stock grpc-java ALTS clients and servers. INSECURE: for
 * development and tests.
 */
public final class EmbeddedHandshaker implements AutoCloseable {

	private final EmbeddedHandshakerService service;

	private final String inProcessName;

	private final Server inProcessServer;

	private final ManagedChannel channel;

	private final @Nullable Server tcpServer;

	private EmbeddedHandshaker(EmbeddedHandshakerService service, @Nullable InetSocketAddress tcpAddress)
			throws IOException {
		this.service = service;
		this.inProcessName = "embedded-alts-handshaker-" + UUID.randomUUID();
		this.inProcessServer = InProcessServerBuilder.forName(this.inProcessName).addService(service).build().start();
		this.channel = InProcessChannelBuilder.forName(this.inProcessName).build();
		Server tcp = null;
		try {
			if (tcpAddress != null) {
				tcp = NettyServerBuilder.forAddress(tcpAddress).addService(service).build().start();
			}
		}
		catch (IOException | RuntimeException ex) {
			this.channel.shutdownNow();
			this.inProcessServer.shutdownNow();
			throw ex;
		}
		this.tcpServer = tcp;
	}

	/** Starts an in-process handshaker. */
	public static EmbeddedHandshaker start(String localServiceAccount) {
		return start(new EmbeddedHandshakerService(localServiceAccount), null, false);
	}

	/** Starts a handshaker in-process and on an ephemeral port of 127.0.0.1. */
	public static EmbeddedHandshaker startWithLoopbackPort(String localServiceAccount) {
		return start(new EmbeddedHandshakerService(localServiceAccount), new InetSocketAddress("127.0.0.1", 0), false);
	}

	/**
	 * Starts {@code service} in-process and, if {@code tcpAddress} is not {@code null},
	 * on that address.
	 * @param allowNonLoopback whether {@code tcpAddress} may be other than a loopback
	 * address
	 */
	public static EmbeddedHandshaker start(EmbeddedHandshakerService service, @Nullable InetSocketAddress tcpAddress,
			boolean allowNonLoopback) {
		if (tcpAddress != null && !allowNonLoopback
				&& (tcpAddress.getAddress() == null || !tcpAddress.getAddress().isLoopbackAddress())) {
			throw new IllegalArgumentException("The insecure embedded ALTS handshaker binds only loopback addresses, "
					+ "not " + tcpAddress + ", unless allowNonLoopback is set");
		}
		try {
			return new EmbeddedHandshaker(service, tcpAddress);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the embedded ALTS handshaker", ex);
		}
	}

	public EmbeddedHandshakerService service() {
		return this.service;
	}

	/**
	 * A channel to the handshaker, for
	 * {@link io.github.readyread.grpc.alts.internal.AltsSettings}; closed with this.
	 */
	public ManagedChannel channel() {
		return this.channel;
	}

	/** Name of the in-process server. */
	public String inProcessName() {
		return this.inProcessName;
	}

	/** The TCP address, or {@code null} if only in-process. */
	public @Nullable InetSocketAddress tcpAddress() {
		return (this.tcpServer != null) ? (InetSocketAddress) this.tcpServer.getListenSockets().get(0) : null;
	}

	/**
	 * {@code host:port} of the TCP endpoint, as stock grpc-alts'
	 * {@code setHandshakerAddressForTesting} takes it.
	 */
	public String target() {
		InetSocketAddress address = tcpAddress();
		if (address == null) {
			throw new IllegalStateException("The embedded handshaker has no TCP port");
		}
		return address.getAddress().getHostAddress() + ":" + address.getPort();
	}

	@Override
	public void close() {
		this.channel.shutdownNow();
		this.inProcessServer.shutdownNow();
		if (this.tcpServer != null) {
			this.tcpServer.shutdownNow();
		}
		try {
			this.channel.awaitTermination(5, TimeUnit.SECONDS);
			this.inProcessServer.awaitTermination(5, TimeUnit.SECONDS);
			if (this.tcpServer != null) {
				this.tcpServer.awaitTermination(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
