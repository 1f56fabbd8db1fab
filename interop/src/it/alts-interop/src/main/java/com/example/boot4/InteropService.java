package com.example.boot4;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.github.readyread.grpc.alts.AltsPeer;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;

import org.springframework.stereotype.Service;

/**
 * {@code Echo} and {@code Peer} (the caller's ALTS service account, "none" off ALTS);
 * {@code Relay} is the Spring Boot 3.5 app's only.
 */
@Service
public class InteropService implements BindableService {

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

	public static final MethodDescriptor<byte[], byte[]> PEER = method("Peer");

	public static final MethodDescriptor<byte[], byte[]> RELAY = method("Relay");

	private static final Context.Key<AltsPeer> CALLER = Context.key("alts-peer");

	@Override
	public ServerServiceDefinition bindService() {
		ServerServiceDefinition service = ServerServiceDefinition.builder("interop.Interop")
			.addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.addMethod(PEER, ServerCalls.asyncUnaryCall((request, response) -> {
				AltsPeer caller = CALLER.get();
				response.onNext(((caller != null) ? caller.peerServiceAccount() : "none").getBytes(StandardCharsets.UTF_8));
				response.onCompleted();
			}))
			.build();
		ServerInterceptor peer = new ServerInterceptor() {

			@Override
			public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
					ServerCallHandler<Q, R> next) {
				return Contexts.interceptCall(Context.current().withValue(CALLER, AltsPeer.fromCall(call)), call,
						headers, next);
			}

		};
		return ServerInterceptors.intercept(service, peer);
	}

	static MethodDescriptor<byte[], byte[]> method(String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(MethodDescriptor.MethodType.UNARY)
			.setFullMethodName("interop.Interop/" + name)
			.setRequestMarshaller(BYTES)
			.setResponseMarshaller(BYTES)
			.build();
	}

}
