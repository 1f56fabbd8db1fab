package io.github.readyread.grpc.alts.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@link AltsHandshakeHandler} ends a handshake whose connection closes: the peer's
 * close is a failure counted as {@code peer-closed}; a close by this side (gRPC shutting
 * its transport down) abandons the handshake without counting one.
 */
class AltsHandshakeHandlerCloseTests {

	private final AtomicInteger cancels = new AtomicInteger();

	private final HandshakeLimiter limiter = new HandshakeLimiter(1);

	private final AltsHandshakeFailures failures = new AltsHandshakeFailures();

	private final List<Throwable> errors = new ArrayList<>();

	@Test
	void aCloseByThisSideAbandonsTheHandshakeWithoutCountingAFailure() {
		EmbeddedChannel channel = handshaking();
		channel.close();
		channel.runPendingTasks();
		assertThat(this.limiter.active()).isZero();
		assertThat(this.cancels).hasValue(1);
		assertThat(this.failures.total()).isZero();
		assertThat(this.errors).singleElement()
			.satisfies((error) -> assertThat(Status.fromThrowable(error).getDescription())
				.startsWith("ALTS handshake abandoned: connection closed by this side"));
	}

	@Test
	void thePeersCloseIsCountedAsPeerClosed() {
		EmbeddedChannel channel = handshaking();
		// As a read's end of stream does: the socket closes without passing the pipeline.
		channel.unsafe().close(channel.voidPromise());
		channel.runPendingTasks();
		assertThat(this.limiter.active()).isZero();
		assertThat(this.cancels).hasValue(1);
		assertThat(this.failures.count(true, AltsHandshakeFailures.Reason.PEER_CLOSED)).isEqualTo(1);
		assertThat(this.failures.total()).isEqualTo(1);
		assertThat(this.errors).singleElement()
			.satisfies((error) -> assertThat(Status.fromThrowable(error).getDescription())
				.startsWith("ALTS handshake failed: connection closed by the peer"));
	}

	private EmbeddedChannel handshaking() {
		AltsSettings settings = AltsSettings.of(new SilentHandshaker(this.cancels), new ReadPathStats("test"))
			.withHandshakeTimeout(Duration.ofMinutes(5));
		EmbeddedChannel channel = new EmbeddedChannel();
		channel.pipeline()
			.addLast(new AltsHandshakeHandler(true, settings, null, this.limiter, this.failures,
					new ChannelInboundHandlerAdapter()));
		channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
			@Override
			public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
				AltsHandshakeHandlerCloseTests.this.errors.add(cause);
			}
		});
		channel.pipeline().fireUserEventTriggered(InternalProtocolNegotiationEvent.getDefault());
		assertThat(this.limiter.active()).isEqualTo(1);
		assertThat(this.errors).isEmpty();
		return channel;
	}

	/** A handshaker service that never answers, and counts cancelled calls. */
	private static final class SilentHandshaker extends io.grpc.Channel {

		private final AtomicInteger cancels;

		SilentHandshaker(AtomicInteger cancels) {
			this.cancels = cancels;
		}

		@Override
		public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
			return new ClientCall<>() {

				@Override
				public void start(Listener<R> listener, Metadata headers) {
				}

				@Override
				public void request(int numMessages) {
				}

				@Override
				public void cancel(String message, Throwable cause) {
					SilentHandshaker.this.cancels.incrementAndGet();
				}

				@Override
				public void halfClose() {
				}

				@Override
				public void sendMessage(Q message) {
				}

			};
		}

		@Override
		public String authority() {
			return "silent";
		}

	}

}
