package io.github.readyread.grpc.alts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;
import io.github.readyread.grpc.Bystander;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsCrypter;
import io.github.readyread.grpc.alts.internal.AltsFrameSizes;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsRecordDecoder;
import io.github.readyread.grpc.alts.internal.AltsRpcVersions;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.internal.HandshakeProtocol;
import io.grpc.alts.internal.HandshakerReq;
import io.grpc.alts.internal.HandshakerResp;
import io.grpc.alts.internal.HandshakerServiceGrpc;
import io.grpc.alts.internal.NextHandshakeMessageReq;
import io.grpc.alts.internal.StartClientHandshakeReq;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A raw socket that completes a real ALTS handshake with our server and then sends
 * records by hand: bad records end the connection with a precise status, everything is
 * released and the server keeps serving others: a connection opened before the fault
 * still serves, never closed, and a new one is served too.
 */
class AltsBadPeerTests {

	private final ReadPathStats stats = new ReadPathStats("server");

	private final Queue<Throwable> serverErrors = new ConcurrentLinkedQueue<>();

	private EmbeddedHandshaker handshaker;

	private SocketRig rig;

	private Bystander bystander;

	@BeforeEach
	void startServer() throws IOException {
		this.handshaker = EmbeddedHandshaker.start("server@test");
		// The plaintext stage sees what the record layer reports to grpc.
		AltsSettings settings = AltsSettings.of(this.handshaker.channel(), this.stats)
			.withPlaintextStage(() -> new ChannelDuplexHandler() {
				@Override
				public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
					AltsBadPeerTests.this.serverErrors.add(cause);
					ctx.fireExceptionCaught(cause);
				}
			});
		this.rig = SocketRig.onEpollOrNio()
			.serverSecurity((side) -> AltsNegotiator.server(settings))
			.clientSecurity((side) -> AltsNegotiator.client(AltsSettings.of(this.handshaker.channel(), side.stats)))
			.start();
		// A healthy connection to the same server, open before each test's fault.
		this.bystander = Bystander.withoutEnds(this.rig);
	}

	@AfterEach
	void healthyClientStillServedAndNothingPinned() throws Exception {
		ManagedChannel channel = this.rig.channel();
		try {
			this.bystander.assertUntouched();
			assertThat(Bystander.echo(channel)).as("a connection opened after the fault").isNotNull();
		}
		finally {
			this.rig.shutdownChannels();
			this.rig.shutdownServerNow();
			this.handshaker.close();
		}
		assertThat(this.stats.incompleteBytes()).isZero();
		assertThat(this.stats.incompletePinnedBytes()).isZero();
		this.rig.closeAndAssertPoolsEmpty();
	}

	@Test
	void recordsSentWithTheLastHandshakeMessageReachHttp2() throws Exception {
		byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
		byte[] settings = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
		byte[] http2 = new byte[preface.length + settings.length];
		System.arraycopy(preface, 0, http2, 0, preface.length);
		System.arraycopy(settings, 0, http2, preface.length, settings.length);
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker,
				(sender) -> RawAltsClient.frame(sender, http2))) {
			// Our SETTINGS travelled in the same write as the client's last handshake
			// message: the server acknowledges it only if those bytes reached HTTP/2.
			raw.awaitSettingsAck();
		}
		assertThat(this.serverErrors).isEmpty();
	}

	@Test
	void aOneMebibyteRecordIsAcceptedThoughThisSideResolved16KibFrames() throws Exception {
		// A peer whose handshaker resolved larger frames (here: the largest record any
		// ALTS stack accepts) opens HTTP/2 inside it; frames of an unknown type fill it
		// and HTTP/2 ignores them.
		byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
		ByteBuffer http2 = ByteBuffer
			.allocate(AltsFrameSizes.HARD_LIMIT - AltsRecordDecoder.HEADER_BYTES - AltsCrypter.TAG_LENGTH);
		http2.put(preface).put(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 });
		while (http2.hasRemaining()) {
			int payload = Math.min(16384, http2.remaining() - 9);
			http2.put((byte) (payload >>> 16)).put((byte) (payload >>> 8)).put((byte) payload);
			http2.put((byte) 0xFA).put((byte) 0).putInt(0).put(new byte[payload]);
		}
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker,
				(sender) -> RawAltsClient.frame(sender, http2.array()))) {
			raw.awaitSettingsAck();
		}
		assertThat(this.serverErrors).isEmpty();
	}

	@Test
	void corruptedTagEndsTheConnection() throws Exception {
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker)) {
			byte[] frame = raw.frame("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			frame[frame.length - 3] ^= 0x10;
			raw.send(frame);
			raw.assertClosedByServer();
		}
		assertServerFailed(Status.Code.INTERNAL, "ALTS record authentication failed (frame of length 44)");
	}

	@Test
	void wrongFrameTypeEndsTheConnection() throws Exception {
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker)) {
			raw.send(header(100, 5));
			raw.assertClosedByServer();
		}
		assertServerFailed(Status.Code.INTERNAL, "ALTS frame type 5 is not the record type 6");
	}

	@Test
	void lengthBelowTheTagEndsTheConnection() throws Exception {
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker)) {
			raw.send(header(12, 6));
			raw.assertClosedByServer();
		}
		assertServerFailed(Status.Code.INTERNAL, "ALTS frame length 12 is below the minimum 20");
	}

	@Test
	void lengthAboveTheMaximumEndsTheConnectionWithoutBufferingIt() throws Exception {
		long heldBefore = this.stats.framesHeldIncomplete();
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker)) {
			// Only the length field: the server must not wait for (or allocate) 2 MB.
			raw.send(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(2_000_000).array());
			raw.assertClosedByServer();
		}
		assertServerFailed(Status.Code.INTERNAL, "ALTS frame length 2000000 exceeds the maximum 1048572");
		assertThat(this.stats.incompletePinnedBytes()).isZero();
		// Pinned bytes are read after the failure closed the connection, which releases
		// anything held; the frames held so far are counted as they are held.
		assertThat(this.stats.framesHeldIncomplete() - heldBefore)
			.as("frames the server held incomplete for the bad record")
			.isZero();
	}

	@Test
	void truncatedFrameAtEndOfStreamEndsTheConnection() throws Exception {
		try (RawAltsClient raw = RawAltsClient.connect(this.rig.port(), this.handshaker)) {
			byte[] frame = raw.frame(new byte[5000]);
			raw.send(java.util.Arrays.copyOf(frame, 3000));
			Thread.sleep(100);
			raw.socket.shutdownOutput();
			raw.assertClosedByServer();
		}
		assertServerFailed(Status.Code.UNAVAILABLE,
				"ALTS connection closed in the middle of a frame: 2992 of 5016 bytes after the header received");
	}

	@Test
	void corruptedRecordFromTheServerFailsTheClientCallWithAPreciseStatus() throws Exception {
		try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
			java.util.concurrent.CompletableFuture<Void> fakeServer = java.util.concurrent.CompletableFuture
				.runAsync(() -> serveOneCorruptedRecord(listener));
			ManagedChannel channel = this.rig.channel(listener.getLocalPort());
			try {
				org.assertj.core.api.Assertions.assertThatExceptionOfType(StatusRuntimeException.class)
					.isThrownBy(() -> ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
							CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[1]))
					.satisfies((ex) -> {
						assertThat(ex.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
						assertThat(ex.getStatus().getDescription())
							.contains("ALTS record authentication failed (frame of length 520)");
					});
			}
			finally {
				// This channel only: the bystander's is checked after the test.
				channel.shutdownNow();
				channel.awaitTermination(10, TimeUnit.SECONDS);
			}
			fakeServer.get(10, TimeUnit.SECONDS);
		}
	}

	/**
	 * Runs the server side of a real handshake by hand, then sends a corrupted record.
	 */
	private void serveOneCorruptedRecord(java.net.ServerSocket listener) {
		try (Socket socket = listener.accept()) {
			socket.setSoTimeout(5000);
			BlockingQueue<HandshakerResp> responses = new LinkedBlockingQueue<>();
			StreamObserver<HandshakerReq> requests = HandshakerServiceGrpc.newStub(this.handshaker.channel())
				.doHandshake(new StreamObserver<>() {
					@Override
					public void onNext(HandshakerResp value) {
						responses.add(value);
					}

					@Override
					public void onError(Throwable t) {
					}

					@Override
					public void onCompleted() {
					}
				});
			byte[] buffer = new byte[4096];
			boolean started = false;
			HandshakerResp response;
			do {
				int n = socket.getInputStream().read(buffer);
				ByteString in = ByteString.copyFrom(buffer, 0, n);
				if (!started) {
					requests.onNext(HandshakerReq.newBuilder()
						.setServerStart(io.grpc.alts.internal.StartServerHandshakeReq.newBuilder()
							.addApplicationProtocols("grpc")
							.putHandshakeParameters(HandshakeProtocol.ALTS.getNumber(),
									io.grpc.alts.internal.ServerHandshakeParameters.newBuilder()
										.addRecordProtocols("ALTSRP_GCM_AES128_REKEY")
										.build())
							.setInBytes(in)
							.setRpcVersions(AltsRpcVersions.LOCAL)
							.setMaxFrameSize(AltsFrameSizes.DEFAULT))
						.build());
					started = true;
				}
				else {
					requests.onNext(HandshakerReq.newBuilder()
						.setNext(NextHandshakeMessageReq.newBuilder().setInBytes(in))
						.build());
				}
				response = responses.poll(5, TimeUnit.SECONDS);
				socket.getOutputStream().write(response.getOutFrames().toByteArray());
			}
			while (!response.hasResult());
			requests.onCompleted();
			AltsCrypter sender = AltsCrypter
				.forSending(response.getResult().getKeyData().substring(0, 44).toByteArray(), false);
			byte[] frame = RawAltsClient.frame(sender, new byte[500]);
			frame[100] ^= 1;
			socket.getOutputStream().write(frame);
			// Wait for the client to give up on the connection.
			while (socket.getInputStream().read(buffer) >= 0) {
				// the client's records
			}
		}
		catch (IOException ex) {
			// reset by the client: done as well
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private void assertServerFailed(Status.Code code, String description) {
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.serverErrors).isNotEmpty());
		Throwable first = this.serverErrors.peek();
		assertThat(first).isInstanceOf(StatusRuntimeException.class);
		Status status = ((StatusRuntimeException) first).getStatus();
		assertThat(status.getCode()).isEqualTo(code);
		assertThat(status.getDescription()).startsWith(description);
	}

	private static byte[] header(int length, int type) {
		return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(length).putInt(type).array();
	}

	@FunctionalInterface
	interface ThrowingFunction<T, R> {

		R apply(T t) throws Exception;

	}

	/** A blocking socket client that runs the ALTS client handshake by hand. */
	static final class RawAltsClient implements AutoCloseable {

		final Socket socket;

		private final AltsCrypter sender;

		private final AltsCrypter receiver;

		private RawAltsClient(Socket socket, AltsCrypter sender, AltsCrypter receiver) {
			this.socket = socket;
			this.sender = sender;
			this.receiver = receiver;
		}

		static RawAltsClient connect(int port, EmbeddedHandshaker handshaker) throws Exception {
			return connect(port, handshaker, (sender) -> new byte[0]);
		}

		/**
		 * @param withLastMessage records to send in the same write as the last handshake
		 * message
		 */
		static RawAltsClient connect(int port, EmbeddedHandshaker handshaker,
				ThrowingFunction<AltsCrypter, byte[]> withLastMessage) throws Exception {
			Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
			socket.setSoTimeout(5000);
			BlockingQueue<Object> responses = new LinkedBlockingQueue<>();
			StreamObserver<HandshakerReq> requests = HandshakerServiceGrpc.newStub(handshaker.channel())
				.doHandshake(new StreamObserver<>() {
					@Override
					public void onNext(HandshakerResp value) {
						responses.add(value);
					}

					@Override
					public void onError(Throwable t) {
						responses.add(t);
					}

					@Override
					public void onCompleted() {
					}
				});
			requests.onNext(HandshakerReq.newBuilder()
				.setClientStart(StartClientHandshakeReq.newBuilder()
					.setHandshakeSecurityProtocol(HandshakeProtocol.ALTS)
					.addApplicationProtocols("grpc")
					.addRecordProtocols("ALTSRP_GCM_AES128_REKEY")
					.setRpcVersions(AltsRpcVersions.LOCAL)
					.setMaxFrameSize(AltsFrameSizes.DEFAULT))
				.build());
			HandshakerResp response = (HandshakerResp) responses.poll(5, TimeUnit.SECONDS);
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			out.write(response.getOutFrames().toByteArray());
			byte[] buffer = new byte[4096];
			while (true) {
				int n = in.read(buffer);
				assertThat(n).isPositive();
				requests.onNext(HandshakerReq.newBuilder()
					.setNext(NextHandshakeMessageReq.newBuilder().setInBytes(ByteString.copyFrom(buffer, 0, n)))
					.build());
				response = (HandshakerResp) responses.poll(5, TimeUnit.SECONDS);
				if (response.hasResult()) {
					break;
				}
				out.write(response.getOutFrames().toByteArray());
			}
			requests.onCompleted();
			byte[] key = response.getResult().getKeyData().substring(0, 44).toByteArray();
			AltsCrypter sender = AltsCrypter.forSending(key, true);
			byte[] records = withLastMessage.apply(sender);
			ByteString last = response.getOutFrames().concat(ByteString.copyFrom(records));
			out.write(last.toByteArray());
			out.flush();
			return new RawAltsClient(socket, sender, AltsCrypter.forReceiving(key, true));
		}

		byte[] frame(byte[] plaintext) throws Exception {
			return frame(this.sender, plaintext);
		}

		static byte[] frame(AltsCrypter sender, byte[] plaintext) throws Exception {
			ByteBuf frame = Unpooled.buffer();
			frame.writeIntLE(4 + plaintext.length + AltsCrypter.TAG_LENGTH);
			frame.writeIntLE(6);
			try {
				sender.encrypt(frame.ensureWritable(plaintext.length + 16), Unpooled.wrappedBuffer(plaintext));
				return ByteBufUtil.getBytes(frame);
			}
			finally {
				frame.release();
			}
		}

		/** Reads and decrypts the server's records until its HTTP/2 SETTINGS ACK. */
		void awaitSettingsAck() throws Exception {
			ByteBuf records = Unpooled.buffer();
			ByteBuf http2 = Unpooled.buffer();
			byte[] buffer = new byte[4096];
			try {
				while (true) {
					int n = this.socket.getInputStream().read(buffer);
					assertThat(n).as("server closed before acknowledging SETTINGS").isPositive();
					records.writeBytes(buffer, 0, n);
					while (records.readableBytes() >= 4
							&& records.readableBytes() >= 4 + records.getIntLE(records.readerIndex())) {
						int length = records.readIntLE();
						assertThat(records.readIntLE()).isEqualTo(6);
						ByteBuf plain = Unpooled.buffer(length);
						try {
							this.receiver.decrypt(plain, records.readSlice(length - 4));
							http2.writeBytes(plain);
						}
						finally {
							plain.release();
						}
					}
					while (http2.readableBytes() >= 9
							&& http2.readableBytes() >= 9 + http2.getUnsignedMedium(http2.readerIndex())) {
						int length = http2.readUnsignedMedium();
						int type = http2.readByte();
						int flags = http2.readByte();
						http2.skipBytes(4 + length);
						if (type == 4 && (flags & 1) != 0) {
							return;
						}
					}
				}
			}
			finally {
				records.release();
				http2.release();
			}
		}

		void send(byte[] bytes) throws IOException {
			this.socket.getOutputStream().write(bytes);
			this.socket.getOutputStream().flush();
		}

		/** Reads (and ignores) what the server sends until it closes the connection. */
		void assertClosedByServer() throws IOException {
			byte[] buffer = new byte[4096];
			try {
				while (this.socket.getInputStream().read(buffer) >= 0) {
					// the server's encrypted settings and goaway
				}
			}
			catch (SocketTimeoutException ex) {
				throw new AssertionError("the server did not close the connection", ex);
			}
			catch (IOException ex) {
				// reset by the server: closed as well
			}
		}

		@Override
		public void close() throws IOException {
			this.socket.close();
		}

	}

}
