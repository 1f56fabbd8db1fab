package io.github.readyread.grpc.alts;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.github.readyread.grpc.EchoService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Echoes messages of every size around the ALTS frame and record limits through the
 * tests' {@link EchoService}, unary then on one bidirectional stream, and asserts each
 * echo.
 */
final class EchoEverySize {

	static final int[] SIZES = { 0, 1, 16383, 16384, 16385, 1024 * 1024, 8 * 1024 * 1024 };

	private EchoEverySize() {
	}

	/** Unary echo of every size, then a bidi stream of every size; asserts the echoes. */
	static void check(Channel channel) throws Exception {
		for (int size : SIZES) {
			byte[] request = message(size, size);
			byte[] response = ClientCalls.blockingUnaryCall(channel, EchoService.ECHO,
					CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
			assertThat(response).as("unary echo of %d bytes", size).isEqualTo(request);
		}
		bidi(channel, SIZES);
	}

	private static void bidi(Channel channel, int[] sizes) throws Exception {
		List<byte[]> received = new ArrayList<>();
		CompletableFuture<Void> done = new CompletableFuture<>();
		ClientCall<byte[], byte[]> call = channel.newCall(EchoService.BIDI,
				CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
		StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
			@Override
			public void onNext(byte[] value) {
				synchronized (received) {
					received.add(value);
				}
			}

			@Override
			public void onError(Throwable t) {
				done.completeExceptionally(t);
			}

			@Override
			public void onCompleted() {
				done.complete(null);
			}
		});
		for (int size : sizes) {
			requests.onNext(message(size, size + 1));
		}
		requests.onCompleted();
		done.get(60, TimeUnit.SECONDS);
		assertThat(received).hasSize(sizes.length);
		for (int i = 0; i < sizes.length; i++) {
			assertThat(received.get(i)).as("bidi echo of %d bytes", sizes[i])
				.isEqualTo(message(sizes[i], sizes[i] + 1));
		}
	}

	private static byte[] message(int size, int seed) {
		byte[] bytes = new byte[size];
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (i * 31 + seed);
		}
		return bytes;
	}

}
