package io.github.readyread.grpc;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

/**
 * A unary echo service with a hand-written method descriptor (no protoc needed), for the
 * tests of every integration.
 */
public class EchoService implements BindableService {

	/** The one method: returns the request. */
	public static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
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

	/**
	 * Calls the echo method and waits for the reply.
	 * @param channel the channel to call on
	 * @param request the bytes to send
	 * @return the reply
	 */
	public static byte[] call(Channel channel, byte[] request) {
		return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, request);
	}

}
