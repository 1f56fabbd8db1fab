package io.github.readyread.grpc.transport;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * Tests for {@link TransportSettings}.
 */
class TransportSettingsTests {

	@Test
	void defaultsAreThoseOfTheProperties() {
		TransportSettings settings = TransportSettings.defaults();
		assertThat(settings.transport()).isEqualTo(TransportType.AUTO);
		assertThat(settings.workerThreads()).isZero();
		assertThat(settings.shutdownQuietPeriod()).isEqualTo(Duration.ofMillis(100));
		assertThat(settings.shutdownTimeout()).isEqualTo(Duration.ofSeconds(5));
		assertThat(settings.ringEntries()).isEqualTo(16);
		assertThat(settings.ringBufferSize()).isEqualTo(32 * 1024);
		assertThat(settings.readPath()).isEqualTo(ReadPath.READY);
		assertThat(settings.readBufferSize()).isEqualTo(64 * 1024);
		assertThat(settings.readSizing()).isEqualTo(ReadSizing.ADAPTIVE);
		assertThat(settings.dataFrames()).isEqualTo(DataFrames.SLICE_FILLED_READS);
	}

	@Test
	void builderSetsEverySetting() {
		TransportSettings settings = TransportSettings.builder()
			.transport(TransportType.IO_URING)
			.workerThreads(3)
			.shutdown(Duration.ZERO, Duration.ofSeconds(1))
			.readBufferRing(8, 4096)
			.readPath(ReadPath.CONVENTIONAL)
			.readBufferSize(4096)
			.readSizing(ReadSizing.EXACT)
			.dataFrames(DataFrames.COPY)
			.build();
		assertThat(settings).isEqualTo(new TransportSettings(TransportType.IO_URING, 3, Duration.ZERO,
				Duration.ofSeconds(1), 8, 4096, ReadPath.CONVENTIONAL, 4096, ReadSizing.EXACT, DataFrames.COPY));
	}

	@Test
	void aReadBufferUnderOneKibibyteIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> TransportSettings.builder().readBufferSize(1023).build())
			.withMessage("Read buffer size must be at least 1KB, was 1023");
	}

	@Test
	void missingChoicesAreRejected() {
		assertThatNullPointerException().isThrownBy(() -> TransportSettings.builder().readPath(null).build());
		assertThatNullPointerException().isThrownBy(() -> TransportSettings.builder().readSizing(null).build());
		assertThatNullPointerException().isThrownBy(() -> TransportSettings.builder().dataFrames(null).build());
		assertThatNullPointerException().isThrownBy(() -> TransportSettings.builder().transport(null).build());
		assertThatNullPointerException()
			.isThrownBy(() -> TransportSettings.builder().shutdown(null, Duration.ZERO).build());
	}

	@Test
	void selectBuildsTheRingFromTheSettingsForIoUring() {
		TransportSettings settings = TransportSettings.builder()
			.transport(TransportType.IO_URING)
			.readBufferRing(3, 4096)
			.build();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NettyTransport.select(settings, io.netty.buffer.ByteBufAllocator.DEFAULT))
			.withMessageContaining("Ring entries must be a power of two");
	}

	@Test
	void anotherTransportNeitherBuildsNorChecksARing() {
		TransportSettings settings = TransportSettings.builder()
			.transport(TransportType.NIO)
			.readBufferRing(3, 4096)
			.build();
		try (NettyTransport transport = NettyTransport.select(settings, io.netty.buffer.ByteBufAllocator.DEFAULT)) {
			assertThat(transport.readBufferRing()).isNull();
		}
	}

	@Test
	void aShutdownTimeoutUnderTheQuietPeriodIsRejected() {
		assertThatIllegalArgumentException()
			.isThrownBy(
					() -> TransportSettings.builder().shutdown(Duration.ofMillis(200), Duration.ofMillis(100)).build())
			.withMessageContaining("shutdown timeout");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> TransportSettings.builder().shutdown(Duration.ofMillis(-1), Duration.ZERO).build());
		assertThat(TransportSettings.builder().shutdown(Duration.ZERO, Duration.ZERO).build().shutdownTimeout())
			.isZero();
	}

}
