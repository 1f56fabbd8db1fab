package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;

/**
 * The server of the stalled scenarios, run in its own JVM so that the client process's
 * descriptors and RSS are its own: a {@code Hold} call arms its connection's
 * {@link TailHolder}, which lets as many bytes of the answer out as the request names
 * ({@link EchoService#forwardedBytes}) and holds the rest; a {@code HoldStream} call arms
 * its {@link DataHolder}, which does the same counting DATA payload bytes.
 *
 * <p>
 * Arguments: {@code plaintext|alts} and the handshaker target (or {@code -}). Prints
 * {@code PORT n} when ready; exits when its standard input closes.
 */
public final class StallServer {

	/** Size of the {@code Hold} answer. */
	static final int ANSWER_BYTES = 32 * 1024;

	private StallServer() {
	}

	public static void main(String[] args) throws IOException {
		Security security = Security.valueOf(args[0].toUpperCase(Locale.ROOT));
		String handshaker = "-".equals(args[1]) ? null : args[1];
		Map<SocketAddress, TailHolder> holders = new ConcurrentHashMap<>();
		Map<SocketAddress, DataHolder> dataHolders = new ConcurrentHashMap<>();
		ServerInterceptor arming = new ServerInterceptor() {
			@Override
			public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
					ServerCallHandler<Q, R> next) {
				ServerCall.Listener<Q> listener = next.startCall(call, headers);
				SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
				String method = call.getMethodDescriptor().getFullMethodName();
				TailHolder holder = holders.get(remote);
				DataHolder dataHolder = dataHolders.get(remote);
				LongConsumer arm = null;
				if (holder != null && method.equals(EchoService.HOLD.getFullMethodName())) {
					arm = holder::arm;
				}
				else if (dataHolder != null && method.equals(EchoService.HOLD_STREAM.getFullMethodName())) {
					arm = dataHolder::arm;
				}
				if (arm == null) {
					return listener;
				}
				LongConsumer armed = arm;
				return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
					@Override
					public void onMessage(Q message) {
						armed.accept(EchoService.forwardedBytes((byte[]) message));
						super.onMessage(message);
					}
				};
			}
		};
		try (Rig rig = Rig.create(Config.CONVENTIONAL, security, handshaker)) {
			InetSocketAddress address = rig.startServer(ServerInterceptors.intercept(EchoService.definition(), arming),
					() -> registered(holders, new TailHolder()), () -> new DataHolder(dataHolders));
			System.out.println("PORT " + address.getPort());
			System.out.flush();
			while (System.in.read() >= 0) {
				// runs until the harness closes our standard input
			}
		}
	}

	/**
	 * A handler that, once in a connection's pipeline, gives way to {@code holder} and
	 * registers it under the connection's remote address until the connection closes.
	 */
	private static <H extends ChannelHandler> ChannelHandler registered(Map<SocketAddress, H> holders, H holder) {
		return new ChannelHandlerAdapter() {
			@Override
			public void handlerAdded(ChannelHandlerContext ctx) {
				SocketAddress remote = ctx.channel().remoteAddress();
				holders.put(remote, holder);
				ctx.channel().closeFuture().addListener((f) -> holders.remove(remote));
				ctx.pipeline().replace(this, null, holder);
			}
		};
	}

}
