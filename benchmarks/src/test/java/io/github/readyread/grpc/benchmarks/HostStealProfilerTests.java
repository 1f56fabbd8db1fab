package io.github.readyread.grpc.benchmarks;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HostStealProfilerTests {

	@Test
	void stealIsItsShareOfAllCpuTimeBetweenTwoReadings() {
		long[] before = HostStealProfiler.cpuTimes("cpu  1000 0 500 8000 10 0 90 400 0 0");
		long[] after = HostStealProfiler.cpuTimes("cpu  1300 0 600 8300 10 0 100 700 50 0");
		// 300 + 100 + 300 + 10 + 300 = 1,010 ticks, 300 of them stolen; guest time is
		// already in user
		assertThat(HostStealProfiler.stealPercent(before, after)).isCloseTo(100.0 * 300 / 1010, within(1e-9));
	}

	@Test
	void noTimeBetweenReadingsGivesNoFigure() {
		long[] times = HostStealProfiler.cpuTimes("cpu  1000 0 500 8000 10 0 90 400 0 0");
		assertThat(HostStealProfiler.stealPercent(times, times)).isNaN();
	}

	@Test
	void aLineWithoutStealOrNotTheCpuLineIsNotRead() {
		assertThat(HostStealProfiler.cpuTimes("cpu  1000 0 500 8000 10 0 90")).isNull();
		assertThat(HostStealProfiler.cpuTimes("cpu0 1000 0 500 8000 10 0 90 400 0 0")).isNull();
		assertThat(HostStealProfiler.cpuTimes("cpu  1000 x 500 8000 10 0 90 400 0 0")).isNull();
	}

}
