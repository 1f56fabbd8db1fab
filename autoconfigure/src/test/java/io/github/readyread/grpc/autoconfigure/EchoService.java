package io.github.readyread.grpc.autoconfigure;

import io.github.readyread.grpc.ByteArrayMarshaller;
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
		.setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
		.setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
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

}
