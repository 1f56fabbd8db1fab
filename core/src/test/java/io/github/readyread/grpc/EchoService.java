package io.github.readyread.grpc;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The tests' one gRPC service, with hand-written method descriptors (no protoc needed): a
 * unary and a bidirectional echo, a download of generated messages and an upload that
 * answers with the CRC of what it received. Shared by the tests of every module; wrap it
 * with {@code ServerInterceptors} to watch its calls.
 */
public class EchoService implements BindableService {

	/** Name of the service. */
	public static final String SERVICE = "test.Echo";

	/** Returns the request. */
	public static final MethodDescriptor<byte[], byte[]> ECHO = method(MethodDescriptor.MethodType.UNARY, "Echo");

	/** Returns each request message as it comes, and completes when the client does. */
	public static final MethodDescriptor<byte[], byte[]> BIDI = method(MethodDescriptor.MethodType.BIDI_STREAMING,
			"Bidi");

	/**
	 * Request: count (int), size (int), seed (long) and optionally the size of a warm-up
	 * message sent first (int), see {@link #downloadRequest}; response: the messages,
	 * message {@code i} being {@link #content content(seed + i, size)}.
	 */
	public static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method(MethodDescriptor.MethodType.SERVER_STREAMING,
			"Download");

	/** Response: CRC32 (long) and length (long) of every byte received. */
	public static final MethodDescriptor<byte[], byte[]> UPLOAD = method(MethodDescriptor.MethodType.CLIENT_STREAMING,
			"Upload");

	@Override
	public ServerServiceDefinition bindService() {
		return ServerServiceDefinition.builder(SERVICE)
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(BIDI, ServerCalls.asyncBidiStreamingCall((response) -> new StreamObserver<byte[]>() {

				@Override
				public void onNext(byte[] value) {
					response.onNext(value);
				}

				@Override
				public void onError(Throwable error) {
				}

				@Override
				public void onCompleted() {
					response.onCompleted();
				}

			}))
			.addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall((request, response) -> {
				ByteBuffer spec = ByteBuffer.wrap(request);
				int count = spec.getInt();
				int size = spec.getInt();
				long seed = spec.getLong();
				if (spec.hasRemaining()) {
					response.onNext(content(-1, spec.getInt()));
				}
				for (int i = 0; i < count; i++) {
					response.onNext(content(seed + i, size));
				}
				response.onCompleted();
			}))
			.addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall((response) -> new StreamObserver<byte[]>() {

				private final CRC32 crc = new CRC32();

				private long length;

				@Override
				public void onNext(byte[] value) {
					this.crc.update(value);
					this.length += value.length;
				}

				@Override
				public void onError(Throwable error) {
				}

				@Override
				public void onCompleted() {
					response.onNext(ByteBuffer.allocate(16).putLong(this.crc.getValue()).putLong(this.length).array());
					response.onCompleted();
				}

			}))
			.build();
	}

	/**
	 * Calls the echo method and waits for the reply.
	 * @param channel the channel to call on
	 * @param request the bytes to send
	 * @return the reply
	 */
	public static byte[] call(Channel channel, byte[] request) {
		return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, request);
	}

	/**
	 * The request of a {@link #DOWNLOAD}.
	 * @param count messages to send
	 * @param size bytes of each message
	 * @param seed seed of the first message's content
	 * @return the request
	 */
	public static byte[] downloadRequest(int count, int size, long seed) {
		return ByteBuffer.allocate(16).putInt(count).putInt(size).putLong(seed).array();
	}

	/**
	 * The request of a {@link #DOWNLOAD} that starts with a warm-up message of
	 * {@code warmUpSize} bytes.
	 */
	public static byte[] downloadRequest(int warmUpSize, int count, int size, long seed) {
		return ByteBuffer.allocate(20).putInt(count).putInt(size).putLong(seed).putInt(warmUpSize).array();
	}

	/** {@code size} pseudo-random bytes, the same for the same seed. */
	public static byte[] content(long seed, int size) {
		byte[] bytes = new byte[size];
		new Random(seed).nextBytes(bytes);
		return bytes;
	}

	/** CRC32 of the parts one after the other, as {@link #UPLOAD} answers it. */
	public static long crc(byte[]... parts) {
		CRC32 crc = new CRC32();
		for (byte[] part : parts) {
			crc.update(part);
		}
		return crc.getValue();
	}

	private static MethodDescriptor<byte[], byte[]> method(MethodDescriptor.MethodType type, String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(type)
			.setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
			.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
			.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
			.build();
	}

}
