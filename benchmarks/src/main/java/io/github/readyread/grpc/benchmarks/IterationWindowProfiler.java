package io.github.readyread.grpc.benchmarks;

import java.util.Collection;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;

/**
 * A JMH profiler that takes a reading once before and once after each iteration (nothing
 * per operation, so nothing is added to what is measured) and reports figures from the
 * two, for the iterations {@link MeasuredIterations} allows: every measurement iteration
 * but a fork's last, whose window also holds the trial's tear-down.
 *
 * @param <R> a reading
 */
public abstract class IterationWindowProfiler<R> implements InternalProfiler {

	private final MeasuredIterations iterations = new MeasuredIterations();

	private @Nullable R before;

	@Override
	public final void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
		this.before = read();
	}

	@Override
	public final Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
			IterationParams iterationParams, IterationResult result) {
		R after = read();
		R start = this.before;
		if (!this.iterations.reportable(iterationParams) || start == null || after == null) {
			return List.of();
		}
		return figures(start, after, result.getMetadata().getAllOps());
	}

	/**
	 * Takes a reading.
	 * @return the reading, or {@code null} where none can be taken here
	 */
	protected abstract @Nullable R read();

	/**
	 * The figures of one reportable iteration.
	 * @param before the reading taken before it
	 * @param after the reading taken after it
	 * @param ops the operations it ran
	 * @return its figures, none where the readings give none
	 */
	protected abstract List<? extends Result> figures(R before, R after, long ops);

}
