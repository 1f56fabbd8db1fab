package io.github.readyread.grpc.readpath;

import java.util.Iterator;

import io.github.readyread.grpc.EchoService;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Large ALTS records (the default 128 KiB frames, longer than a 64 KiB read) on real
 * sockets: on epoll the rest of a record waits in the kernel under the low-water mark and
 * comes in one read, so records are seldom held incomplete and copied together; NIO, with
 * no low-water mark, reads them as they come and holds nearly every one.
 */
class AltsLargeRecordReadTests {

	private static final int MESSAGE = 1024 * 1024;

	private static final int MESSAGES = 16;

	private static EmbeddedHandshaker handshaker;

	@BeforeAll
	static void startHandshaker() {
		handshaker = EmbeddedHandshaker.start("large-records@test.invalid");
	}

	@AfterAll
	static void stopHandshaker() {
		handshaker.close();
	}

	@ParameterizedTest
	@ValueSource(strings = { "epoll", "nio" })
	void largeRecordsComeWholeInOneReadWhereTheLowWaterMarkLetsThemWait(String transport) throws Exception {
		try (SocketRig rig = SocketRig.on(transport)
			.wiring(SocketRig.Wiring.TRANSPORT)
			.security(SocketRig.Security.alts(handshaker.channel()))
			.start()) {
			ManagedChannel channel = rig.channel();
			long bytes = 0;
			Iterator<byte[]> answer = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT, EchoService.downloadRequest(MESSAGES, MESSAGE, 7));
			int index = 0;
			while (answer.hasNext()) {
				byte[] message = answer.next();
				assertThat(message).isEqualTo(EchoService.content(7 + index, MESSAGE));
				bytes += message.length;
				index++;
			}
			assertThat(bytes).isEqualTo((long) MESSAGES * MESSAGE);
			long records = bytes / (128 * 1024);
			long held = rig.client.stats.framesHeldIncomplete();
			System.out.printf("[large records] %s: %d MiB in about %d records, %d frames held incomplete%n", transport,
					bytes >> 20, records, held);
			if ("epoll".equals(transport)) {
				// The first records, before the receive buffer has grown past twice a
				// record, and a record the kernel wakes for early, may still be held.
				assertThat(held).isLessThan(records / 4);
			}
			else {
				assertThat(held).isGreaterThan(records / 2);
			}
			rig.closeAndAssertPoolsEmpty();
		}
	}

}
