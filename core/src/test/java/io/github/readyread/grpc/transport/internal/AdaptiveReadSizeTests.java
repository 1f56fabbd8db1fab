package io.github.readyread.grpc.transport.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link AdaptiveReadSize}.
 */
class AdaptiveReadSizeTests {

	@Test
	void growsFourfoldFromTheBufferAReadFilled() {
		AdaptiveReadSize size = new AdaptiveReadSize(1 << 20);
		size.readFilled(16393);
		assertThat(size.size()).isEqualTo(4 * 16393);
	}

	@Test
	void aReadThatFilledASmallerBufferNeverShrinksIt() {
		AdaptiveReadSize size = new AdaptiveReadSize(65536);
		size.readFilled(65536);
		size.readFilled(9);
		assertThat(size.size()).isEqualTo(65536);
	}

	@Test
	void aWakeupWhoseReadFilledItsBufferIsNeverSmall() {
		AdaptiveReadSize size = new AdaptiveReadSize(65536);
		for (int i = 0; i < 3; i++) {
			size.readFilled(size.size());
			size.wakeupRead(1);
		}
		assertThat(size.size()).isEqualTo(65536);
	}

	@Test
	void shrinksByHalfOnlyAfterTwoSmallWakeupsInARow() {
		AdaptiveReadSize size = new AdaptiveReadSize(65536);
		size.readFilled(16384);
		size.wakeupRead(16384);
		size.wakeupRead(100);
		size.wakeupRead(32769);
		size.wakeupRead(100);
		assertThat(size.size()).isEqualTo(65536);
		size.wakeupRead(32768);
		assertThat(size.size()).isEqualTo(32768);
	}

	@Test
	void staysBetweenTheMinimumAndTheLargestRead() {
		AdaptiveReadSize size = new AdaptiveReadSize(100000);
		for (int i = 0; i < 4; i++) {
			size.readFilled(size.size());
		}
		assertThat(size.size()).isEqualTo(100000);
		for (int i = 0; i < 100; i++) {
			size.wakeupRead(0);
		}
		assertThat(size.size()).isEqualTo(AdaptiveReadSize.MINIMUM);
	}

	@Test
	void aLargestReadBelowTheMinimumBoundsEverySize() {
		AdaptiveReadSize size = new AdaptiveReadSize(500);
		assertThat(size.size()).isEqualTo(500);
		size.readFilled(500);
		assertThat(size.size()).isEqualTo(500);
		size.wakeupRead(1);
		size.wakeupRead(1);
		assertThat(size.size()).isEqualTo(500);
	}

	@Test
	void startsAtTheInitialSize() {
		assertThat(new AdaptiveReadSize(65536).size()).isEqualTo(AdaptiveReadSize.INITIAL);
	}

	@Test
	void rejectsANonPositiveLargestRead() {
		assertThatIllegalArgumentException().isThrownBy(() -> new AdaptiveReadSize(0))
			.withMessageContaining("maximum must be positive");
	}

}
