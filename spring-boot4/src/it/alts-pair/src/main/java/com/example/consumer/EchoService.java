package com.example.consumer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.github.readyread.grpc.alts.AltsPeer;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;

import org.springframework.stereotype.Service;

/** Returns what it is sent, or who sent it as ALTS authenticated the caller. */
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

	public static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo");

	/** Answers the caller's ALTS service account, or "none" off ALTS. */
	public static final MethodDescriptor<byte[], byte[]> PEER = method("Peer");

	private static final Context.Key<AltsPeer> CALLER = Context.key("alts-peer");

	@Override
	public ServerServiceDefinition bindService() {
		ServerServiceDefinition service = ServerServiceDefinition.builder("consumer.Echo")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(PEER, ServerCalls.asyncUnaryCall((request, response) -> {
				AltsPeer caller = CALLER.get();
				String account = (caller != null) ? caller.peerServiceAccount() : "none";
				response.onNext(account.getBytes(StandardCharsets.UTF_8));
				response.onCompleted();
			}))
			.build();
		ServerInterceptor peer = new ServerInterceptor() {

			@Override
			public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
					io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
				return Contexts.interceptCall(Context.current().withValue(CALLER, AltsPeer.fromCall(call)), call,
						headers, next);
			}

		};
		return ServerInterceptors.intercept(service, peer);
	}

	private static MethodDescriptor<byte[], byte[]> method(String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(MethodDescriptor.MethodType.UNARY)
			.setFullMethodName("consumer.Echo/" + name)
			.setRequestMarshaller(BYTES)
			.setResponseMarshaller(BYTES)
			.build();
	}

}
