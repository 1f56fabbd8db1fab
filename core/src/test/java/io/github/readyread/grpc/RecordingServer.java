package io.github.readyread.grpc;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.grpc.Server;

/**
 * A server that says whether it was started, for tests of checks that must refuse a
 * server before it listens (the Spring integrations' ALTS factory checks).
 */
public final class RecordingServer extends Server {

	private final Server server;

	private volatile boolean started;

	public RecordingServer(Server server) {
		this.server = server;
	}

	/** Whether {@link #start()} was called. */
	public boolean started() {
		return this.started;
	}

	@Override
	public Server start() throws IOException {
		this.started = true;
		this.server.start();
		return this;
	}

	@Override
	public int getPort() {
		return this.server.getPort();
	}

	@Override
	public List<? extends SocketAddress> getListenSockets() {
		return this.server.getListenSockets();
	}

	@Override
	public Server shutdown() {
		this.server.shutdown();
		return this;
	}

	@Override
	public Server shutdownNow() {
		this.server.shutdownNow();
		return this;
	}

	@Override
	public boolean isShutdown() {
		return this.server.isShutdown();
	}

	@Override
	public boolean isTerminated() {
		return this.server.isTerminated();
	}

	@Override
	public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
		return this.server.awaitTermination(timeout, unit);
	}

	@Override
	public void awaitTermination() throws InterruptedException {
		this.server.awaitTermination();
	}

}
