package io.github.readyread.grpc.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.IterationResultMetaData;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.runner.IterationType;
import org.openjdk.jmh.runner.options.TimeValue;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessCpuProfilerTests {

	@Test
	void everyMeasurementIterationButTheForksLastGivesAFigure() {
		ProcessCpuProfiler profiler = new ProcessCpuProfiler();
		List<Integer> figures = new ArrayList<>();
		for (IterationParams params : List.of(iteration(IterationType.WARMUP, 2), iteration(IterationType.WARMUP, 2),
				iteration(IterationType.MEASUREMENT, 3), iteration(IterationType.MEASUREMENT, 3),
				iteration(IterationType.MEASUREMENT, 3))) {
			profiler.beforeIteration(null, params);
			Collection<? extends Result> results = profiler.afterIteration(null, params,
					new IterationResult(null, params, new IterationResultMetaData(1000, 1000)));
			figures.add(results.size());
			results.forEach((result) -> assertThat(result.getLabel()).isEqualTo(ProcessCpuProfiler.METRIC));
		}
		// warm-ups none; the last measurement iteration's window holds the trial's
		// tear-down
		assertThat(figures).containsExactly(0, 0, 1, 1, 0);
	}

	private static IterationParams iteration(IterationType type, int count) {
		return new IterationParams(type, count, TimeValue.seconds(2), 1);
	}

}
