package io.github.readyread.grpc.autoconfigure;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import net.devh.boot.grpc.server.service.GrpcService;

/**
 * A unary echo service with a hand-written method descriptor (no protoc needed).
 */
@GrpcService
class EchoService implements BindableService {

	static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
		.setType(MethodDescriptor.MethodType.UNARY)
		.setFullMethodName("test.Echo/Echo")
		.setRequestMarshaller(BytesMarshaller.INSTANCE)
		.setResponseMarshaller(BytesMarshaller.INSTANCE)
		.build();

	@Override
	public ServerServiceDefinition bindService() {
		return ServerServiceDefinition.builder("test.Echo")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, observer) -> {
				observer.onNext(request);
				observer.onCompleted();
			}))
			.build();
	}

	static byte[] call(Channel channel, byte[] request) {
		return ClientCalls.blockingUnaryCall(channel, ECHO, io.grpc.CallOptions.DEFAULT, request);
	}

	enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {

		INSTANCE;

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
