package com.example.consumer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import net.devh.boot.grpc.server.service.GrpcService;

/**
 * A unary echo and a server-streaming "fill" that answers one message of the requested
 * size; descriptors are written by hand so no protoc is needed.
 */
@GrpcService
public class EchoService implements BindableService {

	public static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.UNARY)
		.setFullMethodName("consumer.Echo/Echo")
		.setRequestMarshaller(new Bytes())
		.setResponseMarshaller(new Bytes())
		.build();

	/** Request: 4 bytes big-endian size; response: one message of that many bytes. */
	public static final MethodDescriptor<byte[], byte[]> FILL = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.SERVER_STREAMING)
		.setFullMethodName("consumer.Echo/Fill")
		.setRequestMarshaller(new Bytes())
		.setResponseMarshaller(new Bytes())
		.build();

	@Override
	public ServerServiceDefinition bindService() {
		return ServerServiceDefinition.builder("consumer.Echo")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(FILL, ServerCalls.asyncServerStreamingCall((request, response) -> {
				int size = ((request[0] & 0xff) << 24) | ((request[1] & 0xff) << 16) | ((request[2] & 0xff) << 8)
						| (request[3] & 0xff);
				byte[] message = new byte[size];
				Arrays.fill(message, (byte) 'x');
				response.onNext(message);
				response.onCompleted();
			}))
			.build();
	}

	static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {

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

	}

}
