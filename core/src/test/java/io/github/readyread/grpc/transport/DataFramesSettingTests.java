package io.github.readyread.grpc.transport;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.WrappedByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TransportSettings#dataFrames()} reaches the frame aligner of real epoll
 * connections, plaintext and ALTS, wired by {@link ReadyReadTransport} as the starters
 * wire it: a probe between the aligner and gRPC's HTTP/2 handler of the client's
 * connection sees what gRPC is handed the DATA payloads of a download in.
 */
class DataFramesSettingTests {

	/** Messages of the download: 4 MiB in all, read in filled 64 KiB reads. */
	private static final int COUNT = 32;

	private static final int SIZE = 128 * 1024;

	private static EmbeddedHandshaker handshaker;

	@BeforeAll
	static void startHandshaker() {
		handshaker = EmbeddedHandshaker.start("data-frames@test.invalid");
	}

	@AfterAll
	static void stopHandshaker() {
		handshaker.close();
	}

	@ParameterizedTest(name = "{0}, {1}")
	@CsvSource({ "plaintext, COPY", "plaintext, SLICE_FILLED_READS", "alts, COPY", "alts, SLICE_FILLED_READS" })
	void dataFramesSettingDecidesWhatGrpcIsHandedDataPayloadsIn(String security, DataFrames dataFrames)
			throws Exception {
		SocketRig.Options options = SocketRig.on(TransportType.EPOLL)
			.wiring(SocketRig.Wiring.TRANSPORT)
			.dataFrames(dataFrames);
		if ("alts".equals(security)) {
			options.security(SocketRig.Security.alts(handshaker.channel()));
		}
		try (SocketRig rig = options.start()) {
			ManagedChannel channel = rig.channel();
			// The connection (and, on ALTS, its handshake) first: then the aligner is in
			// place to put the probe behind.
			assertThat(EchoService.call(channel, new byte[100])).hasSize(100);
			List<Channel> connections = rig.client.stats.liveChannels();
			assertThat(connections).hasSize(1);
			Channel connection = connections.get(0);
			DataPayloadProbe probe = new DataPayloadProbe();
			connection.eventLoop()
				.submit(() -> connection.pipeline()
					.addAfter(connection.pipeline().context(Http2FrameAligner.class).name(), "probe", probe))
				.get(10, TimeUnit.SECONDS);

			Iterator<byte[]> messages = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS),
					EchoService.downloadRequest(COUNT, SIZE, 7));
			for (int i = 0; i < COUNT; i++) {
				assertThat(messages.next()).isEqualTo(EchoService.content(7 + i, SIZE));
			}
			assertThat(messages.hasNext()).isFalse();
			long payload = (long) COUNT * (5 + SIZE);
			System.out.printf(
					"data-frames %s on epoll %s: DATA payload bytes handed to gRPC in slices of read buffers %d,"
							+ " bytes in buffers of their own %d (payload %d)%n",
					dataFrames, security, probe.dataInSlices.get(), probe.inOwnBuffers.get(), payload);
			if (dataFrames == DataFrames.COPY) {
				assertThat(probe.dataInSlices.get()).as("DATA payload bytes gRPC got in slices of read buffers")
					.isZero();
				assertThat(probe.inOwnBuffers.get()).as("bytes gRPC got in buffers of their own")
					.isGreaterThanOrEqualTo(payload);
			}
			else {
				// A download on loopback fills its 64 KiB reads with whole 16 KiB frames.
				assertThat(probe.dataInSlices.get()).as("DATA payload bytes gRPC got in slices of read buffers")
					.isGreaterThanOrEqualTo(payload / 4);
			}
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

	/**
	 * Counts the bytes handed on: DATA payloads inside the whole frames of slices of a
	 * larger buffer (runs of whole frames, which start at a frame's header), and every
	 * byte of buffers of their own (copies).
	 */
	private static final class DataPayloadProbe extends ChannelInboundHandlerAdapter {

		private final AtomicLong dataInSlices = new AtomicLong();

		private final AtomicLong inOwnBuffers = new AtomicLong();

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg) {
			if (msg instanceof ByteBuf buffer) {
				if (isViewOfALargerBuffer(buffer)) {
					this.dataInSlices.addAndGet(dataPayloadOfWholeFrames(buffer));
				}
				else {
					this.inOwnBuffers.addAndGet(buffer.readableBytes());
				}
			}
			ctx.fireChannelRead(msg);
		}

		/**
		 * Whether {@code buffer} is a view of another buffer (a read buffer, or the
		 * decrypted records of one read on ALTS), perhaps of all of it: under the
		 * leak-aware wrapper every buffer has at PARANOID leak detection, a derived
		 * buffer, not one of its own.
		 */
		private static boolean isViewOfALargerBuffer(ByteBuf buffer) {
			ByteBuf under = buffer;
			while (under instanceof WrappedByteBuf && under.unwrap() != null) {
				under = under.unwrap();
			}
			return under.unwrap() != null;
		}

		private static long dataPayloadOfWholeFrames(ByteBuf run) {
			long data = 0;
			int index = run.readerIndex();
			int end = run.writerIndex();
			while (end - index >= Http2FrameAligner.FRAME_HEADER_LENGTH) {
				int length = run.getUnsignedMedium(index);
				if (end - index - Http2FrameAligner.FRAME_HEADER_LENGTH < length) {
					// A DATA header whose payload goes on in a buffer of its own.
					break;
				}
				if (run.getByte(index + 3) == 0x0) {
					data += length;
				}
				index += Http2FrameAligner.FRAME_HEADER_LENGTH + length;
			}
			return data;
		}

	}

}
