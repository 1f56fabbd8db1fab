package io.github.readyread.grpc.transport;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay between gRPC clients and a server that forwards the server's HTTP/2 frames
 * until the first DATA frame that starts at or after a chosen payload offset, forwards
 * that frame's header and the head of its payload, then holds.
 *
 * <pre>
 *   client <- [frames ... | DATA header + tailBytes of payload] -- hold -- relay <- server
 * </pre>
 *
 * <p>
 * It follows the gRPC messages (5-byte prefix, then the message) in the DATA payloads it
 * forwards whole (one call per connection): how many are complete and how many bytes of
 * the one left incomplete they carry when it holds. It can also forge one message's
 * length prefix into an absurd length ({@code 0xFFFFFFFF}).
 */
final class StallingRelay implements AutoCloseable {

	private final ServerSocket listener;

	private final InetSocketAddress target;

	private final long cutFrom;

	private final int tail;

	private final List<Link> links = new CopyOnWriteArrayList<>();

	private final AtomicInteger holding = new AtomicInteger();

	private final AtomicLong forwarded = new AtomicLong();

	private final AtomicLong forwardedDataPayload = new AtomicLong();

	private final AtomicLong tailBytes = new AtomicLong();

	private final AtomicLong completeMessages = new AtomicLong();

	private final AtomicLong incompleteMessageBytes = new AtomicLong();

	private final int forgedMessage;

	private final CountDownLatch release = new CountDownLatch(1);

	private final Thread acceptor;

	/**
	 * @param cutFrom payload offset (over all DATA frames of a connection) from which the
	 * first DATA frame to start is cut
	 * @param tail payload bytes of the cut frame forwarded (at most its length - 1)
	 */
	StallingRelay(int targetPort, long cutFrom, int tail) throws IOException {
		this(targetPort, cutFrom, tail, -1);
	}

	/**
	 * @param cutFrom payload offset (over all DATA frames of a connection) from which the
	 * first DATA frame to start is cut, {@code Long.MAX_VALUE} for never
	 * @param tail payload bytes of the cut frame forwarded (at most its length - 1)
	 * @param forgedMessage index of the message (over a connection's DATA payloads, from
	 * 0) whose length prefix is forged into {@code 0xFFFFFFFF}, -1 for none
	 */
	StallingRelay(int targetPort, long cutFrom, int tail, int forgedMessage) throws IOException {
		this.forgedMessage = forgedMessage;
		this.listener = new ServerSocket(0, 1024, java.net.InetAddress.getByName("127.0.0.1"));
		this.target = new InetSocketAddress("127.0.0.1", targetPort);
		this.cutFrom = cutFrom;
		this.tail = tail;
		this.acceptor = new Thread(this::accept, "relay-accept");
		this.acceptor.setDaemon(true);
		this.acceptor.start();
	}

	int port() {
		return this.listener.getLocalPort();
	}

	/** Connections that forwarded the head of their chosen frame and now hold. */
	int holding() {
		return this.holding.get();
	}

	/** Bytes forwarded to clients on every connection. */
	long forwarded() {
		return this.forwarded.get();
	}

	/** DATA payload bytes of whole frames forwarded to clients. */
	long forwardedDataPayload() {
		return this.forwardedDataPayload.get();
	}

	/** DATA payload bytes of the frames cut short, forwarded to clients. */
	long tailBytes() {
		return this.tailBytes.get();
	}

	/** gRPC messages forwarded whole, in whole DATA frames, on every connection. */
	long completeMessages() {
		return this.completeMessages.get();
	}

	/**
	 * Bytes (prefix included) of the messages left incomplete when the connections held,
	 * forwarded in whole DATA frames (not the tail of the cut frame), on every
	 * connection.
	 */
	long incompleteMessageBytes() {
		return this.incompleteMessageBytes.get();
	}

	/**
	 * Closes the client side of every connection: with a reset (RST) on every other one
	 * if {@code resetHalf}, else with FIN.
	 */
	void cut(boolean resetHalf) {
		int i = 0;
		for (Link link : this.links) {
			link.close(resetHalf && (i++ % 2 == 0));
		}
		this.release.countDown();
	}

	@Override
	public void close() throws IOException {
		cut(false);
		this.listener.close();
	}

	private void accept() {
		while (!this.listener.isClosed()) {
			try {
				Socket client = this.listener.accept();
				Socket server = new Socket();
				server.connect(this.target, 5000);
				client.setTcpNoDelay(true);
				server.setTcpNoDelay(true);
				Link link = new Link(client, server);
				this.links.add(link);
				link.start();
			}
			catch (IOException ex) {
				return;
			}
		}
	}

	private final class Link {

		private final Socket client;

		private final Socket server;

		Link(Socket client, Socket server) {
			this.client = client;
			this.server = server;
		}

		void start() {
			Thread up = new Thread(this::up, "relay-up");
			Thread down = new Thread(this::down, "relay-down");
			up.setDaemon(true);
			down.setDaemon(true);
			up.start();
			down.start();
		}

		private void up() {
			try (InputStream in = this.client.getInputStream()) {
				OutputStream out = this.server.getOutputStream();
				byte[] buffer = new byte[16384];
				int n;
				while ((n = in.read(buffer)) >= 0) {
					out.write(buffer, 0, n);
				}
			}
			catch (IOException ex) {
				// the link is closing
			}
			closeQuietly(this.server);
		}

		private void down() {
			try {
				DataInputStream in = new DataInputStream(this.server.getInputStream());
				OutputStream out = this.client.getOutputStream();
				long payload = 0;
				Messages messages = new Messages();
				while (true) {
					byte[] header = new byte[9];
					in.readFully(header);
					int length = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
					if (header[3] == 0 && length > 1 && payload >= StallingRelay.this.cutFrom) {
						int tail = Math.min(length - 1, StallingRelay.this.tail);
						byte[] head = new byte[9 + tail];
						System.arraycopy(header, 0, head, 0, 9);
						in.readFully(head, 9, tail);
						out.write(head);
						out.flush();
						StallingRelay.this.forwarded.addAndGet(head.length);
						StallingRelay.this.tailBytes.addAndGet(tail);
						StallingRelay.this.incompleteMessageBytes.addAndGet(messages.currentBytes);
						StallingRelay.this.holding.incrementAndGet();
						StallingRelay.this.release.await();
						return;
					}
					byte[] frame = new byte[9 + length];
					System.arraycopy(header, 0, frame, 0, 9);
					in.readFully(frame, 9, length);
					if (header[3] == 0) {
						messages.walk(frame, 9, 9 + length);
					}
					out.write(frame);
					out.flush();
					StallingRelay.this.forwarded.addAndGet(frame.length);
					if (header[3] == 0) {
						payload += length;
						StallingRelay.this.forwardedDataPayload.addAndGet(length);
					}
				}
			}
			catch (IOException ex) {
				// the link is closing
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		/**
		 * Follows the gRPC messages of one connection's DATA payloads, forging one length
		 * prefix if asked.
		 */
		private final class Messages {

			private long bodyLeft;

			private int prefixSeen;

			private long length;

			private int index;

			private long currentBytes;

			void walk(byte[] bytes, int from, int to) {
				for (int i = from; i < to;) {
					if (this.bodyLeft > 0) {
						int n = (int) Math.min(this.bodyLeft, to - i);
						i += n;
						this.bodyLeft -= n;
						this.currentBytes += n;
						if (this.bodyLeft == 0) {
							completed();
						}
						continue;
					}
					if (this.prefixSeen > 0 && this.index == StallingRelay.this.forgedMessage) {
						bytes[i] = (byte) 0xFF;
					}
					if (this.prefixSeen > 0) {
						this.length = (this.length << 8) | (bytes[i] & 0xFF);
					}
					this.prefixSeen++;
					this.currentBytes++;
					i++;
					if (this.prefixSeen == 5) {
						this.prefixSeen = 0;
						this.bodyLeft = this.length;
						this.length = 0;
						if (this.bodyLeft == 0) {
							completed();
						}
					}
				}
			}

			private void completed() {
				StallingRelay.this.completeMessages.incrementAndGet();
				this.index++;
				this.currentBytes = 0;
			}

		}

		void close(boolean reset) {
			try {
				if (reset) {
					this.client.setSoLinger(true, 0);
				}
			}
			catch (IOException ex) {
				// closing anyway
			}
			closeQuietly(this.client);
			closeQuietly(this.server);
		}

		private void closeQuietly(Socket socket) {
			try {
				socket.close();
			}
			catch (IOException ex) {
				// closing anyway
			}
		}

	}

}
