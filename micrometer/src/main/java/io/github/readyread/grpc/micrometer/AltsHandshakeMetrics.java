package io.github.readyread.grpc.micrometer;

import io.github.readyread.grpc.alts.AltsHandshakeFailures;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@link MeterBinder} for the failed ALTS handshakes of the client channels and the
 * server, by side and reason.
 */
public class AltsHandshakeMetrics implements MeterBinder {

	/** Failed ALTS handshakes, tagged {@code side} and {@code reason}. */
	public static final String FAILURES = "grpc.ready-read.alts.handshake.failures";

	private final AltsHandshakeFailures failures;

	public AltsHandshakeMetrics(AltsHandshakeFailures failures) {
		this.failures = failures;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (boolean client : new boolean[] { true, false }) {
			for (AltsHandshakeFailures.Reason reason : AltsHandshakeFailures.Reason.values()) {
				FunctionCounter.builder(FAILURES, this.failures, (f) -> f.count(client, reason))
					.baseUnit("handshakes")
					.description("Failed ALTS handshakes")
					.tags("side", client ? "client" : "server", "reason", reason.tag())
					.register(registry);
			}
		}
	}

}
