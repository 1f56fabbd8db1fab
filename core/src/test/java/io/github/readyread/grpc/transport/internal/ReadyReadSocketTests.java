package io.github.readyread.grpc.transport.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.readyread.grpc.Bystander;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.TransportType;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ready-read path on real sockets on 127.0.0.1, on epoll, io_uring and NIO forced.
 */
class ReadyReadSocketTests {

	private static final int IDLE_CONNECTIONS = 300;

	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void idleConnectionsPinNothingOnEitherSide(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		long[] conventional = idlePinnedPerConnection(transport, ReadPath.CONVENTIONAL);
		long[] ready = idlePinnedPerConnection(transport, ReadPath.READY);
		System.out.printf(
				"idle %s, %d connections, pinned bytes per connection client/server: ready %d/%d,"
						+ " conventional %d/%d%n",
				transport.displayName(), IDLE_CONNECTIONS, ready[0], ready[1], conventional[0], conventional[1]);
		assertThat(ready[0]).isLessThanOrEqualTo(64);
		assertThat(ready[1]).isLessThanOrEqualTo(64);
	}

	private long[] idlePinnedPerConnection(TransportType transport, ReadPath readPath) throws Exception {
		try (SocketRig rig = SocketRig.on(transport).readPath(readPath).start()) {
			List<ListenableFuture<byte[]>> replies = new ArrayList<>();
			for (int i = 0; i < IDLE_CONNECTIONS; i++) {
				ManagedChannel channel = rig.channel();
				replies.add(ClientCalls.futureUnaryCall(channel.newCall(EchoService.ECHO, CallOptions.DEFAULT),
						EchoService.content(i, 4096)));
			}
			for (int i = 0; i < IDLE_CONNECTIONS; i++) {
				assertThat(replies.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(EchoService.content(i, 4096));
			}
			assertThat(rig.client.stats.connections()).isEqualTo(IDLE_CONNECTIONS);
			assertThat(rig.server.stats.connections()).isEqualTo(IDLE_CONNECTIONS);
			if (readPath == ReadPath.CONVENTIONAL) {
				// grpc-java's own read path: only a counting head handler of ours.
				assertThat(rig.client.stats.readBuffersTaken()).isZero();
				assertThat(rig.server.stats.readBuffersTaken()).isZero();
			}
			// Let trailing frames (window updates, pings and their acks) be read; then
			// measure.
			long bound = 64L * IDLE_CONNECTIONS;
			SocketRig.awaitQuiet("connections at rest, nothing pinned",
					() -> rig.client.pinnedOutsideRings() <= bound && rig.server.pinnedOutsideRings() <= bound
							&& rig.client.stats.pinnedBytes() == 0 && rig.server.stats.pinnedBytes() == 0,
					() -> rig.client.stats.bytesRead() + rig.server.stats.bytesRead()
							+ rig.client.pool.metric()
								.directArenas()
								.stream()
								.mapToLong((a) -> a.numAllocations())
								.sum(),
					Duration.ofMillis(200), Duration.ofSeconds(10));
			long[] perConnection = { rig.client.pinnedOutsideRingsWhileConnected() / IDLE_CONNECTIONS,
					rig.server.pinnedOutsideRingsWhileConnected() / IDLE_CONNECTIONS };
			if (readPath == ReadPath.READY) {
				assertThat(rig.client.stats.pinnedBytes()).isZero();
				assertThat(rig.server.stats.pinnedBytes()).isZero();
			}
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
			await().atMost(Duration.ofSeconds(10)).until(() -> rig.client.stats.connections() == 0);
			return perConnection;
		}
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void eightMebibyteMessagesStreamThroughIntactBothWays(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		try (SocketRig rig = SocketRig.on(transport).start()) {
			ManagedChannel channel = rig.channel();
			int size = 8 * 1024 * 1024;
			Iterator<byte[]> download = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT, EchoService.downloadRequest(2, size, 7));
			for (int i = 0; i < 2; i++) {
				byte[] message = download.next();
				assertThat(message).hasSize(size);
				assertThat(EchoService.crc(message)).isEqualTo(EchoService.crc(EchoService.content(7 + i, size)));
			}
			assertThat(download.hasNext()).isFalse();
			byte[] first = EchoService.content(11, size);
			byte[] second = EchoService.content(12, size + 13);
			ByteBuffer reply = ByteBuffer.wrap(upload(channel, first, second));
			assertThat(reply.getLong()).isEqualTo(EchoService.crc(first, second));
			assertThat(reply.getLong()).isEqualTo(2L * size + 13);
			assertThat(rig.client.stats.bytesRead()).isGreaterThan(2L * size);
			assertThat(rig.server.stats.bytesRead()).isGreaterThan(2L * size);
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void manySmallMessagesArriveOnceAndInOrder(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		try (SocketRig rig = SocketRig.on(transport).start()) {
			ManagedChannel channel = rig.channel();
			Iterator<byte[]> download = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT, EchoService.downloadRequest(3000, 37, 100));
			for (int i = 0; i < 3000; i++) {
				assertThat(download.next()).isEqualTo(EchoService.content(100 + i, 37));
			}
			assertThat(download.hasNext()).isFalse();
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	// Several messages to a DATA frame, each direction past its 1 MiB flow-control window
	// many times: the DATA frames cut apart at message boundaries count the same bytes,
	// so window updates keep both streams flowing to the end.
	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void smallMessagesFlowBothWaysThroughFramesSplitAtMessageBoundaries(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		try (SocketRig rig = SocketRig.on(transport).readPath(ReadPath.READY).start()) {
			ManagedChannel channel = rig.channel();
			int count = 6000;
			int size = 1001;
			Iterator<byte[]> download = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
					EchoService.downloadRequest(count, size, 300));
			for (int i = 0; i < count; i++) {
				assertThat(download.next()).isEqualTo(EchoService.content(300 + i, size));
			}
			assertThat(download.hasNext()).isFalse();
			byte[][] messages = new byte[count][];
			long length = 0;
			for (int i = 0; i < count; i++) {
				messages[i] = EchoService.content(i, 1 + (i * 7919) % 2000);
				length += messages[i].length;
			}
			ByteBuffer reply = ByteBuffer.wrap(upload(channel, messages));
			assertThat(reply.getLong()).isEqualTo(EchoService.crc(messages));
			assertThat(reply.getLong()).isEqualTo(length);
			assertThat(splitDataFrames(rig.client.stats)).as("DATA frames split by the client's aligner").isPositive();
			assertThat(splitDataFrames(rig.server.stats)).as("DATA frames split by the server's aligner").isPositive();
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	private static long splitDataFrames(ReadPathStats stats) {
		return stats.liveChannels()
			.stream()
			.mapToLong((channel) -> channel.pipeline().get(Http2FrameAligner.class).splitDataFrames())
			.sum();
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void clientHalfCloseDeliversEveryMessageBeforeTheResponse(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		try (SocketRig rig = SocketRig.on(transport).start()) {
			ManagedChannel channel = rig.channel();
			byte[][] messages = { EchoService.content(1, 10), EchoService.content(2, 20000), EchoService.content(3, 0),
					EchoService.content(4, 70000) };
			ByteBuffer reply = ByteBuffer.wrap(upload(channel, messages));
			assertThat(reply.getLong()).isEqualTo(EchoService.crc(messages));
			assertThat(reply.getLong()).isEqualTo(90010);
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(names = { "EPOLL", "NIO", "IO_URING" })
	void frameAboveTheMaximumSizeFailsTheConnectionWithFrameSizeError(TransportType transport) throws Exception {
		SocketRig.assumeAvailable(transport);
		try (SocketRig rig = SocketRig.on(transport).start(); Socket socket = new Socket()) {
			// A healthy connection to the same server, open before the fault.
			Bystander bystander = new Bystander(rig);
			socket.connect(new InetSocketAddress("127.0.0.1", rig.port()), 5000);
			socket.setSoTimeout(10000);
			OutputStream out = socket.getOutputStream();
			out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			out.write(Http2FrameAlignerTests.frame((byte) 4, 0, new byte[0]));
			// A DATA frame header announcing 1 MiB, then a little of it.
			out.write(new byte[] { 0x10, 0, 0, 0, 0, 0, 0, 0, 1 });
			out.write(new byte[100]);
			out.flush();
			DataInputStream in = new DataInputStream(socket.getInputStream());
			int errorCode = -1;
			try {
				while (errorCode < 0) {
					byte[] header = new byte[9];
					in.readFully(header);
					int length = ((header[0] & 0xFF) << 16) | ((header[1] & 0xFF) << 8) | (header[2] & 0xFF);
					byte[] payload = new byte[length];
					in.readFully(payload);
					if (header[3] == 7) {
						errorCode = ByteBuffer.wrap(payload, 4, 4).getInt();
					}
				}
			}
			catch (EOFException ex) {
				// closed without GOAWAY: errorCode stays -1 and the assertion below fails
			}
			assertThat(errorCode).as("GOAWAY error code").isEqualTo(6);
			// The bad connection is gone; the bystander's is checked next.
			await().atMost(Duration.ofSeconds(10)).until(() -> rig.server.stats.connections() <= 1);
			bystander.assertUntouched();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	private static byte[] upload(ManagedChannel channel, byte[]... messages) throws Exception {
		java.util.concurrent.CompletableFuture<byte[]> reply = new java.util.concurrent.CompletableFuture<>();
		StreamObserver<byte[]> requests = ClientCalls.asyncClientStreamingCall(
				channel.newCall(EchoService.UPLOAD, CallOptions.DEFAULT), new StreamObserver<byte[]>() {

					@Override
					public void onNext(byte[] value) {
						reply.complete(value);
					}

					@Override
					public void onError(Throwable error) {
						reply.completeExceptionally(error);
					}

					@Override
					public void onCompleted() {
					}

				});
		for (byte[] message : messages) {
			requests.onNext(message);
		}
		requests.onCompleted();
		return reply.get(30, TimeUnit.SECONDS);
	}

}
