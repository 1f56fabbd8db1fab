package io.github.readyread.grpc.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The benchmark service, with raw byte messages so that no protobuf code is involved.
 *
 * <ul>
 * <li>{@code Echo}: unary, answers with the request bytes.</li>
 * <li>{@code Download}: server streaming; the request holds two big-endian ints, message
 * size and total bytes; the answer is that many bytes in messages of that size, sent as
 * flow control allows.</li>
 * <li>{@code Hold}: server streaming; the request holds two big-endian ints, message size
 * and the bytes of the answer a stall server lets reach the wire; sends one message of
 * that size and keeps the stream open.</li>
 * <li>{@code HoldStream}: server streaming; the request holds three big-endian ints,
 * message size, the DATA payload bytes (message stream bytes) a stall server lets reach
 * the wire, and a message count; sends that many messages of that size and keeps the
 * stream open.</li>
 * </ul>
 */
public final class EchoService {

	static final String SERVICE = "readyread.bench.Echo";

	static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {

		@Override
		public InputStream stream(byte[] value) {
			return new ByteArrayInputStream(value);
		}

		@Override
		public byte[] parse(InputStream stream) {
			try {
				return stream.readAllBytes();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	};

	static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo", MethodDescriptor.MethodType.UNARY);

	static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method("Download",
			MethodDescriptor.MethodType.SERVER_STREAMING);

	static final MethodDescriptor<byte[], byte[]> HOLD = method("Hold", MethodDescriptor.MethodType.SERVER_STREAMING);

	static final MethodDescriptor<byte[], byte[]> HOLD_STREAM = method("HoldStream",
			MethodDescriptor.MethodType.SERVER_STREAMING);

	private static final int MAX_MESSAGE = 4 * 1024 * 1024;

	private static final byte[] PAYLOAD = payload(MAX_MESSAGE);

	private EchoService() {
	}

	private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
		return MethodDescriptor.newBuilder(BYTES, BYTES)
			.setType(type)
			.setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
			.build();
	}

	private static byte[] payload(int size) {
		byte[] bytes = new byte[size];
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (i * 31 + 7);
		}
		return bytes;
	}

	/** A message of {@code size} bytes; shares one array per size, never modified. */
	static byte[] message(int size) {
		if (size == MAX_MESSAGE) {
			return PAYLOAD;
		}
		byte[] bytes = new byte[size];
		System.arraycopy(PAYLOAD, 0, bytes, 0, size);
		return bytes;
	}

	static byte[] downloadRequest(int messageSize, int totalBytes) {
		return ByteBuffer.allocate(8).putInt(messageSize).putInt(totalBytes).array();
	}

	static byte[] holdRequest(int messageSize, int forwardedBytes) {
		return ByteBuffer.allocate(8).putInt(messageSize).putInt(forwardedBytes).array();
	}

	static byte[] holdStreamRequest(int messageSize, int forwardedPayloadBytes, int count) {
		return ByteBuffer.allocate(12).putInt(messageSize).putInt(forwardedPayloadBytes).putInt(count).array();
	}

	/**
	 * Bytes of a {@code Hold} answer (payload bytes of a {@code HoldStream} answer) that
	 * a stall server lets out, from its request.
	 */
	static int forwardedBytes(byte[] holdRequest) {
		return ByteBuffer.wrap(holdRequest).getInt(4);
	}

	/** The service. */
	public static ServerServiceDefinition definition() {
		return ServerServiceDefinition.builder(SERVICE)
			.addMethod(ECHO, ServerCalls.asyncUnaryCall(EchoService::echo))
			.addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall(EchoService::download))
			.addMethod(HOLD,
					ServerCalls.asyncServerStreamingCall(
							(request, observer) -> observer.onNext(message(ByteBuffer.wrap(request).getInt()))))
			.addMethod(HOLD_STREAM, ServerCalls.asyncServerStreamingCall((request, observer) -> {
				ByteBuffer spec = ByteBuffer.wrap(request);
				byte[] message = message(spec.getInt(0));
				for (int i = spec.getInt(8); i > 0; i--) {
					observer.onNext(message);
				}
			}))
			.build();
	}

	private static void echo(byte[] request, StreamObserver<byte[]> observer) {
		observer.onNext(request);
		observer.onCompleted();
	}

	private static void download(byte[] request, StreamObserver<byte[]> plainObserver) {
		ByteBuffer params = ByteBuffer.wrap(request);
		int messageSize = params.getInt();
		int total = params.getInt();
		byte[] message = message(messageSize);
		ServerCallStreamObserver<byte[]> observer = (ServerCallStreamObserver<byte[]>) plainObserver;
		int[] sent = { 0 };
		boolean[] done = { false };
		Runnable drain = () -> {
			while (!done[0] && observer.isReady() && !observer.isCancelled()) {
				if (sent[0] >= total) {
					done[0] = true;
					observer.onCompleted();
					return;
				}
				observer.onNext(message);
				sent[0] += messageSize;
			}
		};
		observer.setOnReadyHandler(drain);
		drain.run();
	}

}
