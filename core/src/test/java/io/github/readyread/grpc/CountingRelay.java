package io.github.readyread.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 that forwards every byte both ways and counts them: what each
 * peer sent on the wire, to check the read path's byte figures against.
 *
 * <pre>
 *   client --toServer--> relay --> server
 *   client <--toClient-- relay <-- server
 * </pre>
 */
public final class CountingRelay implements AutoCloseable {

	private final ServerSocket listener;

	private final int targetPort;

	private final AtomicLong toServer = new AtomicLong();

	private final AtomicLong toClient = new AtomicLong();

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	public CountingRelay(int targetPort) throws IOException {
		this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
		this.targetPort = targetPort;
		Thread acceptor = new Thread(this::accept, "counting-relay");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	public int port() {
		return this.listener.getLocalPort();
	}

	/** Bytes the clients sent, all forwarded to the server. */
	public long toServer() {
		return this.toServer.get();
	}

	/** Bytes the server sent, all forwarded to the clients. */
	public long toClient() {
		return this.toClient.get();
	}

	private void accept() {
		while (!this.listener.isClosed()) {
			try {
				Socket client = this.listener.accept();
				Socket server = new Socket(InetAddress.getLoopbackAddress(), this.targetPort);
				client.setTcpNoDelay(true);
				server.setTcpNoDelay(true);
				this.sockets.add(client);
				this.sockets.add(server);
				pump(client, server, this.toServer);
				pump(server, client, this.toClient);
			}
			catch (IOException ex) {
				return;
			}
		}
	}

	private void pump(Socket from, Socket to, AtomicLong counter) {
		Thread pump = new Thread(() -> {
			byte[] buffer = new byte[16384];
			try {
				InputStream in = from.getInputStream();
				OutputStream out = to.getOutputStream();
				int n;
				while ((n = in.read(buffer)) >= 0) {
					out.write(buffer, 0, n);
					out.flush();
					counter.addAndGet(n);
				}
				to.shutdownOutput();
			}
			catch (IOException ex) {
				// the connection is closing
				closeQuietly(from);
				closeQuietly(to);
			}
		}, "counting-relay-pump");
		pump.setDaemon(true);
		pump.start();
	}

	@Override
	public void close() throws IOException {
		this.listener.close();
		for (Socket socket : this.sockets) {
			closeQuietly(socket);
		}
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

}
