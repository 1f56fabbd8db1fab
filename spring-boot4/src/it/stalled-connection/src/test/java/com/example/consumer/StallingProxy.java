package com.example.consumer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 that can stop forwarding the server's bytes after a given
 * count, so that a client connection waits in the middle of a frame for as long as a
 * test likes.
 */
final class StallingProxy implements AutoCloseable {

	private final ServerSocket server;

	private final int upstreamPort;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private long forwarded;

	private long limit = Long.MAX_VALUE;

	StallingProxy(int upstreamPort) throws IOException {
		this.upstreamPort = upstreamPort;
		this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		start("proxy-accept", this::accept);
	}

	int port() {
		return this.server.getLocalPort();
	}

	/** Forwards at most {@code bytes} more bytes from the server, then waits. */
	void stallAfter(long bytes) {
		synchronized (this.lock) {
			this.limit = this.forwarded + bytes;
		}
	}

	/** Whether the server's bytes have reached the limit and wait. */
	boolean isStalled() {
		synchronized (this.lock) {
			return this.forwarded >= this.limit;
		}
	}

	/** Bytes forwarded from the server so far, over every connection. */
	long forwarded() {
		synchronized (this.lock) {
			return this.forwarded;
		}
	}

	/** Forwards everything again. */
	void resume() {
		synchronized (this.lock) {
			this.limit = Long.MAX_VALUE;
			this.lock.notifyAll();
		}
	}

	@Override
	public void close() throws IOException {
		resume();
		this.server.close();
		for (Socket socket : this.sockets) {
			socket.close();
		}
	}

	private void accept() {
		try {
			while (!this.server.isClosed()) {
				Socket client = this.server.accept();
				Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.upstreamPort);
				client.setTcpNoDelay(true);
				upstream.setTcpNoDelay(true);
				this.sockets.add(client);
				this.sockets.add(upstream);
				start("proxy-up", () -> pump(client, upstream, false));
				start("proxy-down", () -> pump(upstream, client, true));
			}
		}
		catch (IOException ex) {
			// closed
		}
	}

	private void pump(Socket from, Socket to, boolean fromServer) {
		byte[] buffer = new byte[8192];
		try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
			int read;
			while ((read = in.read(buffer)) != -1) {
				int offset = 0;
				while (offset < read) {
					int length = fromServer ? permit(read - offset) : read - offset;
					out.write(buffer, offset, length);
					out.flush();
					offset += length;
				}
			}
		}
		catch (IOException | InterruptedException ex) {
			// closed
		}
		finally {
			try {
				from.close();
				to.close();
			}
			catch (IOException ex) {
				// closed
			}
		}
	}

	private int permit(int wanted) throws InterruptedException {
		synchronized (this.lock) {
			while (this.forwarded >= this.limit) {
				this.lock.wait();
			}
			int length = (int) Math.min(wanted, this.limit - this.forwarded);
			this.forwarded += length;
			return length;
		}
	}

	private static void start(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		thread.start();
	}

}
