package io.github.readyread.grpc;

import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.github.readyread.grpc.transport.NettyTransport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A healthy connection to the rig's server, opened and used before a fault: after it, a
 * call on it must succeed over the same connection (same local address), and its channel
 * must never have left {@code READY} (a closed connection sends it to {@code IDLE}, and a
 * call would quietly reconnect).
 *
 * <p>
 * Made with {@link #Bystander(SocketRig)}, both its ends must still be open too: the
 * rig's sides must have no connection before it and exactly its one after, whose Netty
 * channels must both be active after the fault. {@link #withoutEnds(SocketRig)} checks no
 * ends, for a rig whose sides' figures do not see its connections (a server secured with
 * figures of the test's own, say); {@link #on(SocketRig, ManagedChannel)} neither, on a
 * channel of the test's choosing.
 */
public final class Bystander {

	private final SocketRig rig;

	private final ManagedChannel channel;

	private final SocketAddress connection;

	/** Client and server end of the connection; {@code null} when not checked. */
	private final List<Channel> ends;

	private final AtomicReference<ConnectivityState> left = new AtomicReference<>();

	/**
	 * Opens the bystander on {@code rig}, checking both its ends in the rig's sides'
	 * figures.
	 * @param rig the rig whose server the bystander connects to
	 */
	public Bystander(SocketRig rig) {
		this(rig, rig.channel(), true);
	}

	private Bystander(SocketRig rig, ManagedChannel channel, boolean checkEnds) {
		if (checkEnds) {
			assertThat(rig.client.stats.liveChannels()).as("client connections before the bystander").isEmpty();
			assertThat(rig.server.stats.liveChannels()).as("server connections before the bystander").isEmpty();
		}
		this.rig = rig;
		this.channel = channel;
		this.connection = echo(this.channel);
		assertThat(this.connection).as("local address of the bystander's connection").isNotNull();
		if (checkEnds) {
			assertThat(rig.client.stats.liveChannels()).as("client end of the bystander's connection").hasSize(1);
			assertThat(rig.server.stats.liveChannels()).as("server end of the bystander's connection").hasSize(1);
			this.ends = List.of(rig.client.stats.liveChannels().get(0), rig.server.stats.liveChannels().get(0));
		}
		else {
			this.ends = null;
		}
		assertThat(this.channel.getState(false)).as("bystander channel").isEqualTo(ConnectivityState.READY);
		this.channel.notifyWhenStateChanged(ConnectivityState.READY, () -> this.left.set(this.channel.getState(false)));
	}

	/**
	 * Opens the bystander on {@code rig} without checking its ends: for a rig whose
	 * sides' figures do not see its connections.
	 * @param rig the rig whose server the bystander connects to
	 * @return the bystander
	 */
	public static Bystander withoutEnds(SocketRig rig) {
		return new Bystander(rig, rig.channel(), false);
	}

	/**
	 * Opens the bystander on {@code channel} without checking its ends: for a channel
	 * secured otherwise than the rig's client side, or to another server of the rig.
	 * @param rig the rig whose event loops run the channel and its server
	 * @param channel a channel of {@code rig} that has not connected yet
	 * @return the bystander
	 */
	public static Bystander on(SocketRig rig, ManagedChannel channel) {
		return new Bystander(rig, channel, false);
	}

	/**
	 * Checks, once every event loop has drained, that a call still goes over the same
	 * connection, that both its ends (when checked) are active and that the channel never
	 * left {@code READY}.
	 * @throws Exception if an event loop does not drain
	 */
	public void assertUntouched() throws Exception {
		drainEventLoops(this.rig);
		assertThat(echo(this.channel)).as("local address of the bystander's connection after the fault")
			.isEqualTo(this.connection);
		if (this.ends != null) {
			assertThat(this.ends).as("client and server end of the bystander's connection after the fault")
				.allMatch(Channel::isActive);
		}
		assertThat(this.left.get()).as("state the bystander channel left READY for").isNull();
	}

	/**
	 * Runs a no-op task on every event loop of both sides and waits for it, three times
	 * over: what a fault set off from one loop on another (a close queued to the
	 * bystander's loop, then its inactive event) has run by then.
	 */
	private static void drainEventLoops(SocketRig rig) throws Exception {
		for (int pass = 0; pass < 3; pass++) {
			for (NettyTransport side : List.of(rig.client.loops, rig.server.loops)) {
				for (EventExecutor loop : side.workerGroup()) {
					loop.submit(() -> {
					}).get(10, TimeUnit.SECONDS);
				}
			}
		}
	}

	/**
	 * Echoes one byte; returns the local address of the connection that carried it.
	 * @param channel the channel to call on
	 * @return the local address of the connection the call went over
	 */
	public static SocketAddress echo(ManagedChannel channel) {
		AtomicReference<SocketAddress> local = new AtomicReference<>();
		ClientInterceptor capture = new ClientInterceptor() {
			@Override
			public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
					io.grpc.Channel next) {
				return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
					@Override
					public void start(Listener<R> listener, Metadata headers) {
						ClientCall<Q, R> call = delegate();
						super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
							@Override
							public void onHeaders(Metadata received) {
								local.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR));
								super.onHeaders(received);
							}
						}, headers);
					}
				};
			}
		};
		assertThat(ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel, capture), EchoService.ECHO,
				CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] { 9 }))
			.containsExactly(9);
		return local.get();
	}

}
