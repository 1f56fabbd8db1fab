package io.github.readyread.grpc.transport.internal;

import java.util.function.Consumer;

import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathStats;
import io.github.readyread.grpc.transport.ReadSizing;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;

/**
 * Plaintext (h2c) negotiators for gRPC channels and servers, with the ready-read path or
 * gRPC's usual one.
 *
 * <pre>
 *   READY:        [ReadPathHeadHandler] [Http2FrameAligner] [grpc HTTP/2 handler]
 *   CONVENTIONAL: [ReadPathHeadHandler, counting only]      [grpc HTTP/2 handler]
 * </pre>
 *
 * <p>
 * Install one with {@link GrpcNettyBridge#install}: for example
 * {@code GrpcNettyBridge.install(serverBuilder, ReadyReadNegotiators.plaintext(true, ReadPath.READY, stats,
 * 65536, ReadSizing.ADAPTIVE, DataFrames.SLICE_FILLED_READS, true), false)}.
 */
public final class ReadyReadNegotiators {

	private static final int HANDSHAKE_READ_SIZE = 4096;

	private ReadyReadNegotiators() {
	}

	/**
	 * Negotiator with every choice open. Either read path counts its connections and the
	 * bytes they read in {@code stats}.
	 * @param server whether it serves accepted connections
	 * @param readPath how connections read
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer (ready-read only)
	 * @param sizing how large reads are (ready-read only)
	 * @param dataFrames what DATA payloads go on to gRPC in (ready-read only; io_uring
	 * connections always copy)
	 * @param lowWaterMark whether epoll connections use {@code SO_RCVLOWAT} (ready-read
	 * only)
	 */
	public static GrpcNettyBridge.Negotiator plaintext(boolean server, ReadPath readPath, ReadPathStats stats,
			int maxReadSize, ReadSizing sizing, DataFrames dataFrames, boolean lowWaterMark) {
		if (readPath == null || stats == null || sizing == null || dataFrames == null) {
			throw new NullPointerException("readPath, stats, sizing and dataFrames are required");
		}
		if (maxReadSize < 1) {
			throw new IllegalArgumentException("maxReadSize must be positive, was " + maxReadSize);
		}
		if (readPath == ReadPath.CONVENTIONAL) {
			return counted(
					(grpc) -> GrpcNettyBridge.waitUntilActive(grpc.negotiationHandler(), grpc.negotiationLogger()),
					stats);
		}
		return (grpc) -> new ReadyReadSetupHandler(server, stats, maxReadSize, sizing, dataFrames, lowWaterMark, grpc);
	}

	/**
	 * Wraps a negotiator for the conventional read path: each connection is counted (the
	 * connection and the bytes it reads, see {@link ReadyReadChannels#track}) before the
	 * negotiator's handler is added.
	 * @param negotiator the negotiator
	 * @param stats the owner's figures
	 * @return the wrapping negotiator
	 */
	public static GrpcNettyBridge.Negotiator counted(GrpcNettyBridge.Negotiator negotiator, ReadPathStats stats) {
		if (stats == null) {
			throw new NullPointerException("stats is required");
		}
		return beforeHandshake(negotiator, (channel) -> ReadyReadChannels.track(channel, stats));
	}

	/**
	 * Wraps the negotiator of a secure (record-layer) protocol for the ready read path:
	 * each connection is prepared (demand-sized reads, epoll low-water mark, figures)
	 * before the handshake starts, and the negotiator is given the connection's demand
	 * for its record decoder; the secure negotiator puts
	 * {@link Http2FrameAligner#behindRecordDecoder} behind that decoder.
	 * @param negotiator the secure negotiator
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer
	 * @return the wrapping negotiator
	 */
	public static GrpcNettyBridge.Negotiator secured(RecordLayerNegotiator negotiator, ReadPathStats stats,
			int maxReadSize) {
		return secured(negotiator, stats, maxReadSize, ReadSizing.ADAPTIVE);
	}

	/**
	 * As {@link #secured(RecordLayerNegotiator, ReadPathStats, int)} with the read sizing
	 * chosen.
	 * @param negotiator the secure negotiator
	 * @param stats the owner's figures
	 * @param maxReadSize largest read buffer
	 * @param sizing how large reads are
	 * @return the wrapping negotiator
	 */
	public static GrpcNettyBridge.Negotiator secured(RecordLayerNegotiator negotiator, ReadPathStats stats,
			int maxReadSize, ReadSizing sizing) {
		if (negotiator == null || stats == null || sizing == null) {
			throw new NullPointerException("negotiator and stats are required");
		}
		return new GrpcNettyBridge.Negotiator() {
			@Override
			public ChannelHandler newHandler(GrpcNettyBridge.GrpcHandler grpc) {
				return new ChannelHandlerAdapter() {
					@Override
					public void handlerAdded(ChannelHandlerContext ctx) {
						ReadDemand demand = ReadyReadChannels.prepare(ctx.channel(), stats, maxReadSize, sizing, true);
						// Handshake messages are small and come whole; the record decoder
						// sizes reads to records once the handshake is done.
						demand.await(1, HANDSHAKE_READ_SIZE);
						ctx.pipeline().replace(this, null, negotiator.newHandler(grpc, demand));
					}
				};
			}

			@Override
			public void close() {
				negotiator.close();
			}
		};
	}

	/**
	 * Wraps a negotiator so that {@code setup} runs on each new connection before the
	 * negotiator's own handler is added.
	 * @param negotiator the negotiator
	 * @param setup what to do with each new channel
	 * @return the wrapping negotiator
	 */
	public static GrpcNettyBridge.Negotiator beforeHandshake(GrpcNettyBridge.Negotiator negotiator,
			Consumer<Channel> setup) {
		return withSetup(negotiator, setup, false);
	}

	/**
	 * Wraps a negotiator so that {@code setup} runs on each new connection once the
	 * negotiator's own handler was added (and so once the read path put its handlers in
	 * place): a handler {@code setup} adds first stays first.
	 * @param negotiator the negotiator
	 * @param setup what to do with each new channel
	 * @return the wrapping negotiator
	 */
	public static GrpcNettyBridge.Negotiator afterSetup(GrpcNettyBridge.Negotiator negotiator,
			Consumer<Channel> setup) {
		return withSetup(negotiator, setup, true);
	}

	private static GrpcNettyBridge.Negotiator withSetup(GrpcNettyBridge.Negotiator negotiator, Consumer<Channel> setup,
			boolean afterHandler) {
		return new GrpcNettyBridge.Negotiator() {
			@Override
			public ChannelHandler newHandler(GrpcNettyBridge.GrpcHandler grpc) {
				ChannelHandler next = negotiator.newHandler(grpc);
				return new ChannelHandlerAdapter() {
					@Override
					public void handlerAdded(ChannelHandlerContext ctx) {
						Channel channel = ctx.channel();
						if (!afterHandler) {
							setup.accept(channel);
						}
						ctx.pipeline().replace(this, null, next);
						if (afterHandler) {
							setup.accept(channel);
						}
					}
				};
			}

			@Override
			public void close() {
				negotiator.close();
			}
		};
	}

	/**
	 * Prepares the channel, puts the aligner in front of where gRPC's handler will be,
	 * then gives way to gRPC's plaintext negotiation.
	 */
	private static final class ReadyReadSetupHandler extends ChannelHandlerAdapter {

		private final boolean server;

		private final ReadPathStats stats;

		private final int maxReadSize;

		private final ReadSizing sizing;

		private final DataFrames dataFrames;

		private final boolean lowWaterMark;

		private final GrpcNettyBridge.GrpcHandler grpc;

		ReadyReadSetupHandler(boolean server, ReadPathStats stats, int maxReadSize, ReadSizing sizing,
				DataFrames dataFrames, boolean lowWaterMark, GrpcNettyBridge.GrpcHandler grpc) {
			this.server = server;
			this.stats = stats;
			this.maxReadSize = maxReadSize;
			this.sizing = sizing;
			this.dataFrames = dataFrames;
			this.lowWaterMark = lowWaterMark;
			this.grpc = grpc;
		}

		@Override
		public void handlerAdded(ChannelHandlerContext ctx) {
			ReadDemand demand = ReadyReadChannels.prepare(ctx.channel(), this.stats, this.maxReadSize, this.sizing,
					this.lowWaterMark);
			// io_uring's ring buffers are shared by connections: always copies there.
			Http2FrameAligner aligner = ReadyReadChannels.isIoUringSocket(ctx.channel())
					? Http2FrameAligner.outermostOnSharedBuffers(this.server, demand, this.stats)
					: Http2FrameAligner.outermost(this.server, demand, this.stats, this.dataFrames);
			ctx.pipeline().addBefore(ctx.name(), null, aligner);
			ChannelHandler next = GrpcNettyBridge.waitUntilActive(this.grpc.negotiationHandler(),
					this.grpc.negotiationLogger());
			ctx.pipeline().replace(this, null, next);
		}

	}

}
