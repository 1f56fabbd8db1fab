package com.example.consumer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;

import org.springframework.stereotype.Service;

/**
 * A unary echo and a server-streaming "fill" that answers one message of the requested
 * size; descriptors are written by hand so no protoc is needed.
 */
@Service
public class EchoService implements BindableService {

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

	public static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.UNARY)
		.setFullMethodName("consumer.Echo/Echo")
		.setRequestMarshaller(BYTES)
		.setResponseMarshaller(BYTES)
		.build();

	public static final MethodDescriptor<byte[], byte[]> FILL = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.SERVER_STREAMING)
		.setFullMethodName("consumer.Echo/Fill")
		.setRequestMarshaller(BYTES)
		.setResponseMarshaller(BYTES)
		.build();

	@Override
	public ServerServiceDefinition bindService() {
		return ServerServiceDefinition.builder("consumer.Echo")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(FILL, ServerCalls.asyncServerStreamingCall((request, response) -> {
				byte[] message = new byte[ByteBuffer.wrap(request).getInt()];
				Arrays.fill(message, (byte) 'x');
				response.onNext(message);
				response.onCompleted();
			}))
			.build();
	}

}
