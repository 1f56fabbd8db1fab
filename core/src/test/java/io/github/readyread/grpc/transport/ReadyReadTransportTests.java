package io.github.readyread.grpc.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.ReadPathRegistry.Registration;
import io.github.readyread.grpc.transport.internal.GrpcNettyBridge;
import io.github.readyread.grpc.transport.internal.Http2FrameAligner;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * Tests for {@link ReadyReadTransport} with each {@link TransportSecurity}: what it
 * installs, what it registers, and which builders each security refuses.
 */
class ReadyReadTransportTests {

	private static final String TARGET = "static://127.0.0.1:1";

	private final NettyTransport loops = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO,
			Duration.ofSeconds(1));

	private final PooledBufferAllocator pool = new PooledBufferAllocator(
			new PoolSettings(1024 * 1024, 1, true, Duration.ZERO, true));

	private final ReadPathRegistry registry = new ReadPathRegistry();

	private final List<ReadyReadTransport> transports = new ArrayList<>();

	@AfterEach
	void close() {
		this.transports.forEach(ReadyReadTransport::close);
		this.loops.close();
	}

	@Test
	void plaintextBuildersGetTheReadyReadPathAndAreRegistered() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		Registration channel = transport.configure(NettyChannelBuilder.forTarget(TARGET).usePlaintext(), "first",
				TARGET, TransportSecurity.plaintext());
		Registration server = transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.plaintext());
		assertThat(channel.owner()).isEqualTo(Owner.channel("first"));
		assertThat(channel.target()).isEqualTo(TARGET);
		assertThat(channel.security()).isEqualTo(ConnectionSecurity.PLAINTEXT);
		assertThat(channel.readPath()).isEqualTo(ReadPath.READY);
		assertThat(server.owner()).isEqualTo(Owner.server());
		assertThat(server.target()).isEmpty();
		assertThat(this.registry.channel("first")).isSameAs(channel);
		assertThat(this.registry.server()).isSameAs(server);
	}

	@Test
	void keptSecurityStaysOnTheConventionalPathAndIsReportedAsInstalled() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		NettyChannelBuilder tls = NettyChannelBuilder.forTarget(TARGET);
		NettyChannelBuilder upgrade = NettyChannelBuilder.forTarget(TARGET)
			.negotiationType(NegotiationType.PLAINTEXT_UPGRADE);
		Registration tlsChannel = transport.configure(tls, "tls", TARGET, TransportSecurity.kept());
		Registration upgradeChannel = transport.configure(upgrade, "upgrade", TARGET, TransportSecurity.kept());
		assertThat(tlsChannel.security()).isEqualTo(ConnectionSecurity.TLS);
		assertThat(tlsChannel.readPath()).isEqualTo(ReadPath.CONVENTIONAL);
		assertThat(upgradeChannel.security()).isEqualTo(ConnectionSecurity.PLAINTEXT_UPGRADE);
		assertThat(GrpcNettyBridge.installedSecurity(tls)).as("grpc-java's TLS negotiator stays")
			.isEqualTo(ConnectionSecurity.TLS);
	}

	@Test
	void altsAsksItsFactoryForTheOwnersNegotiatorWithTheStageOfTheReadPath() {
		List<ReadPathStats> stats = new ArrayList<>();
		List<Supplier<ChannelHandler>> stages = new ArrayList<>();
		TransportSecurity alts = TransportSecurity.alts((owner, stage) -> {
			stats.add(owner);
			stages.add(stage);
			return (grpcHandler, demand) -> new ChannelInboundHandlerAdapter();
		});
		Registration ready = transport(ReadPath.READY).configure(NettyServerBuilder.forPort(0), alts);
		assertThat(ready.security()).isEqualTo(ConnectionSecurity.ALTS);
		assertThat(ready.readPath()).isEqualTo(ReadPath.READY);
		assertThat(stats).containsExactly(ready.stats());
		assertThat(stages.get(0).get()).as("the aligner behind the record decoder")
			.isInstanceOf(Http2FrameAligner.class);

		Registration conventional = transport(ReadPath.CONVENTIONAL)
			.configure(NettyChannelBuilder.forTarget(TARGET).usePlaintext(), "alts", TARGET, alts);
		assertThat(conventional.readPath()).isEqualTo(ReadPath.CONVENTIONAL);
		assertThat(stats).hasSize(2).last().isSameAs(conventional.stats());
		assertThat(stages.get(1)).as("no stage on the conventional read path").isNull();
	}

	@Test
	void plaintextOrAltsOnABuilderThatHasSecurityFailsAndRegistersNothing() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		TransportSecurity alts = TransportSecurity.alts((stats, stage) -> {
			throw new AssertionError("no negotiator for a TLS builder");
		});
		assertThatIllegalStateException()
			.isThrownBy(() -> transport.configure(NettyChannelBuilder.forTarget(TARGET), "tls", TARGET, alts))
			.withMessage("gRPC channel 'tls' already has tls security; ALTS can only secure a plaintext builder");
		assertThatIllegalStateException()
			.isThrownBy(() -> transport.configure(NettyChannelBuilder.forTarget(TARGET), "tls", TARGET,
					TransportSecurity.plaintext()))
			.withMessageContaining("gRPC channel 'tls' already has tls security");
		assertThat(this.registry.registrations()).isEmpty();
	}

	@Test
	void keptOnAPlaintextBuilderFailsRatherThanLeaveGrpcsPlaintextNegotiator() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		assertThatIllegalStateException()
			.isThrownBy(() -> transport.configure(NettyServerBuilder.forPort(0), TransportSecurity.kept()))
			.withMessageContaining("gRPC server is plaintext");
		assertThat(this.registry.server()).isNull();
	}

	@Test
	void altsNeedsTheFactoryOfItsNegotiators() {
		assertThatNullPointerException().isThrownBy(() -> TransportSecurity.alts(null));
	}

	@Test
	void modeIsFallbackOnNioAndShownAsBefore() {
		ReadyReadTransport transport = transport(ReadPath.READY);
		assertThat(transport.mode()).isEqualTo(ReadyReadMode.FALLBACK);
		assertThat(transport.fallbackReason()).contains("NIO");
		assertThat(ReadyReadMode.FALLBACK.displayName()).isEqualTo("fallback");
		assertThat(ReadyReadMode.READY_READ.displayName()).isEqualTo("ready-read");
	}

	private ReadyReadTransport transport(ReadPath readPath) {
		ReadyReadTransport transport = new ReadyReadTransport(this.loops, this.pool,
				TransportSettings.builder().readPath(readPath).build(), this.registry);
		this.transports.add(transport);
		return transport;
	}

}
