package io.github.readyread.grpc.benchmarks;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link StealRule}: one bound for every configuration's measurements.
 */
class StealRuleTests {

	@Test
	void measurementsAboveTheBoundAreLeftOutAndThoseWithoutAFigureKept() {
		StealRule.Kept<Double> kept = StealRule.apply(List.of(3.0, 30.0, StealRule.BOUND_PERCENT, Double.NaN, 10.5),
				(steal) -> steal);
		assertThat(kept.kept()).containsExactly(3.0, StealRule.BOUND_PERCENT, Double.NaN);
		assertThat(kept.of()).isEqualTo(5);
		assertThat(kept.allAbove()).isFalse();
		assertThat(kept.describe()).isEqualTo("3/5");
	}

	@Test
	void whereEveryMeasurementIsAboveTheBoundAllAreKeptAndTheFiguresSaySo() {
		StealRule.Kept<Double> kept = StealRule.apply(List.of(30.0, 12.0), (steal) -> steal);
		assertThat(kept.kept()).containsExactly(30.0, 12.0);
		assertThat(kept.allAbove()).isTrue();
		assertThat(kept.describe()).isEqualTo("2/2 (all above 10 %)");
	}

	@Test
	void noMeasurementsAreNoneAbove() {
		StealRule.Kept<Double> kept = StealRule.apply(List.of(), (steal) -> steal);
		assertThat(kept.kept()).isEmpty();
		assertThat(kept.allAbove()).isFalse();
	}

}
