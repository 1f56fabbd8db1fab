package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.common.util.concurrent.ListenableFuture;
import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * io_uring read buffer rings far too small for the traffic: receives find the ring empty,
 * and every byte still arrives, nothing stalls and nothing leaks.
 */
class ReadBufferRingExhaustionTests {

	private static final int CONNECTIONS = 64;

	private static final int MESSAGE_SIZE = 256 * 1024;

	@Test
	void exhaustedRingsDelayReceivesWithoutStallOrLeak() throws Exception {
		SocketRig.assumeAvailable(TransportType.IO_URING);
		// Two 1 KiB buffers per event loop for 64 connections receiving 256 KiB at once.
		try (SocketRig rig = SocketRig.on(TransportType.IO_URING).ring(2, 1024).start()) {
			List<ListenableFuture<byte[]>> replies = new ArrayList<>();
			for (int i = 0; i < CONNECTIONS; i++) {
				ManagedChannel channel = rig.channel();
				replies.add(ClientCalls.futureUnaryCall(channel.newCall(EchoService.ECHO, CallOptions.DEFAULT),
						EchoService.content(i, MESSAGE_SIZE)));
			}
			for (int i = 0; i < CONNECTIONS; i++) {
				assertThat(replies.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(EchoService.content(i, MESSAGE_SIZE));
			}
			long exhaustions = rig.client.stats.ringExhaustions() + rig.server.stats.ringExhaustions();
			System.out.printf("ring of 2 x 1 KiB per loop, %d connections x %d B echoed: %d ring exhaustions%n",
					CONNECTIONS, MESSAGE_SIZE, exhaustions);
			assertThat(exhaustions).as("receives that found a ring empty").isPositive();
			// A late control frame (a window update, a ping's ack) may be in its read
			// right now.
			assertThat(rig.client.stats.readBuffersTaken()).isPositive();
			Awaitility.await()
				.atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(rig.client.stats.readBuffersDone())
					.isEqualTo(rig.client.stats.readBuffersTaken()));
			assertThat(rig.server.stats.incompleteBytes()).isZero();
			rig.shutdownChannels();
			rig.closeAndAssertPoolsEmpty();
		}
	}

}
