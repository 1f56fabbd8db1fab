package com.example.readyread.sample;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import net.devh.boot.grpc.server.service.GrpcService;

/**
 * File download service in the shape of a GCS DirectPath read: a server-streaming call
 * that sends a file in chunks. The method descriptors are written by hand with a
 * {@code byte[]} marshaller, so no protoc is needed.
 *
 * <pre>
 * sample.Download/Download  (server streaming)  request ignored   -> chunk, chunk, ..., end
 * sample.Download/Stall     (server streaming)  request ignored   -> one large message, never ends
 * sample.Download/Ping      (unary)             bytes             -> the same bytes
 * </pre>
 */
@GrpcService
public class DownloadService implements BindableService {

	static final String SERVICE = "sample.Download";

	static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method("Download",
			MethodDescriptor.MethodType.SERVER_STREAMING);

	static final MethodDescriptor<byte[], byte[]> STALL = method("Stall", MethodDescriptor.MethodType.SERVER_STREAMING);

	static final MethodDescriptor<byte[], byte[]> PING = method("Ping", MethodDescriptor.MethodType.UNARY);

	private final GeneratedFile file;

	private final int stallMessageSize;

	private final Set<ServerCallStreamObserver<byte[]>> stalls = ConcurrentHashMap.newKeySet();

	public DownloadService(GeneratedFile file, SampleProperties properties) {
		this.file = file;
		this.stallMessageSize = (int) properties.getStall().getMessageSize().toBytes();
	}

	@Override
	public ServerServiceDefinition bindService() {
		return ServerServiceDefinition.builder(SERVICE)
			.addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall((request, response) -> download(response)))
			.addMethod(STALL, ServerCalls.asyncServerStreamingCall((request, response) -> stall(response)))
			.addMethod(PING, ServerCalls.asyncUnaryCall((request, response) -> {
				response.onNext(request);
				response.onCompleted();
			}))
			.build();
	}

	/**
	 * Sends the chunks only while the client's flow control window has room, so the
	 * server never queues the whole file in pooled buffers.
	 */
	private void download(StreamObserver<byte[]> observer) {
		ServerCallStreamObserver<byte[]> response = (ServerCallStreamObserver<byte[]>) observer;
		int[] next = { 0 };
		boolean[] done = { false };
		response.setOnCancelHandler(() -> done[0] = true);
		response.setOnReadyHandler(() -> {
			while (!done[0] && response.isReady() && next[0] < this.file.chunks()) {
				response.onNext(this.file.chunk(next[0]++));
			}
			if (!done[0] && next[0] == this.file.chunks()) {
				done[0] = true;
				response.onCompleted();
			}
		});
	}

	/**
	 * Sends one message larger than the stall channels' flow control window and leaves
	 * the call open: the client receives the first part and never the rest.
	 */
	private void stall(StreamObserver<byte[]> observer) {
		ServerCallStreamObserver<byte[]> response = (ServerCallStreamObserver<byte[]>) observer;
		this.stalls.add(response);
		response.setOnCancelHandler(() -> this.stalls.remove(response));
		response.onNext(new byte[this.stallMessageSize]);
	}

	/** Stall calls open on the server, each with a message the client has not taken. */
	public int stallsWaiting() {
		return this.stalls.size();
	}

	/**
	 * Stall calls whose message the server cannot send on because the client's flow
	 * control window is full: the client holds the first part, the rest waits here.
	 */
	public long stallsBlockedByFlowControl() {
		return this.stalls.stream().filter((call) -> !call.isReady()).count();
	}

	private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
		return MethodDescriptor.<byte[], byte[]>newBuilder()
			.setType(type)
			.setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
			.setRequestMarshaller(BytesMarshaller.INSTANCE)
			.setResponseMarshaller(BytesMarshaller.INSTANCE)
			.build();
	}

	/** Marshals {@code byte[]} messages as they are. */
	static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {

		static final BytesMarshaller INSTANCE = new BytesMarshaller();

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
