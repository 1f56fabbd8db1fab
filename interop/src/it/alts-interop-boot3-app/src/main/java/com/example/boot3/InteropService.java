package com.example.boot3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.github.readyread.grpc.alts.AltsPeer;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import net.devh.boot.grpc.client.inject.GrpcClient;
import net.devh.boot.grpc.server.service.GrpcService;

import org.springframework.beans.factory.annotation.Autowired;

/**
 * {@code Echo}, {@code Peer} (the caller's ALTS service account, "none" off ALTS) and
 * {@code Relay}: calls {@code Peer} on the Spring Boot 4 app over this app's ALTS
 * channel {@code boot4} and answers what it got, with that channel's security and live
 * Netty channel classes as this process sees them.
 */
@GrpcService
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

	static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo");

	static final MethodDescriptor<byte[], byte[]> PEER = method("Peer");

	static final MethodDescriptor<byte[], byte[]> RELAY = method("Relay");

	private static final Context.Key<AltsPeer> CALLER = Context.key("alts-peer");

	@GrpcClient("boot4")
	Channel boot4;

	@Autowired
	ReadPathRegistry readPaths;

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
			.addMethod(RELAY, ServerCalls.asyncUnaryCall((request, response) -> {
				byte[] peer = ClientCalls.blockingUnaryCall(this.boot4, PEER,
						CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), new byte[0]);
				List<String> live = this.readPaths.channel("boot4")
					.stats()
					.liveChannels()
					.stream()
					.map((channel) -> channel.getClass().getSimpleName())
					.collect(Collectors.toList());
				String answer = "peer=" + new String(peer, StandardCharsets.UTF_8) + ";security="
						+ this.readPaths.channel("boot4").security().displayName() + ";live=" + live;
				response.onNext(answer.getBytes(StandardCharsets.UTF_8));
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

	private static MethodDescriptor<byte[], byte[]> method(String name) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(MethodDescriptor.MethodType.UNARY)
			.setFullMethodName("interop.Interop/" + name)
			.setRequestMarshaller(BYTES)
			.setResponseMarshaller(BYTES)
			.build();
	}

}
