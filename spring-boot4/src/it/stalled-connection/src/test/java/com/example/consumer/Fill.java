package com.example.consumer;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;

/** Starts a server-streaming call that answers one message of a given size. */
final class Fill {

	private Fill() {
	}

	static CompletableFuture<byte[]> start(Channel channel, int size) {
		CompletableFuture<byte[]> result = new CompletableFuture<>();
		ClientCalls.asyncServerStreamingCall(channel.newCall(EchoService.FILL, CallOptions.DEFAULT),
				ByteBuffer.allocate(4).putInt(size).array(), new StreamObserver<byte[]>() {

					private byte[] message;

					@Override
					public void onNext(byte[] value) {
						this.message = value;
					}

					@Override
					public void onError(Throwable error) {
						result.completeExceptionally(error);
					}

					@Override
					public void onCompleted() {
						result.complete(this.message);
					}

				});
		return result;
	}

}
