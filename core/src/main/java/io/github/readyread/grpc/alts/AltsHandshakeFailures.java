package io.github.readyread.grpc.alts;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.github.readyread.grpc.alts.internal.AltsHandshakeHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts failed ALTS handshakes by side and reason, and logs at most one WARN summary of
 * them per period: a port scanner or a misconfigured peer must not write a log line per
 * connection (each failure is logged at DEBUG by its handshake).
 */
public final class AltsHandshakeFailures {

	private static final Logger logger = LoggerFactory.getLogger(AltsHandshakeFailures.class);

	/** Why a handshake failed; the tag is a low-cardinality metric tag value. */
	public enum Reason {

		/** The handshake did not finish within the handshake timeout. */
		TIMEOUT,

		/** The peer closed the connection, or it could not be written to. */
		PEER_CLOSED,

		/**
		 * The handshaker service refused the handshake (it rejects a peer's bad bytes
		 * this way too), failed, or could not be reached.
		 */
		HANDSHAKER_ERROR,

		/**
		 * The handshake broke the protocol: too many bytes before its end, an unusable
		 * result.
		 */
		PROTOCOL,

		/**
		 * The server's service account is not one of the client's target service
		 * accounts.
		 */
		PEER_IDENTITY;

		/** Lowercase tag value, e.g. {@code peer-closed}. */
		public String tag() {
			return name().toLowerCase(Locale.ROOT).replace('_', '-');
		}

	}

	private final Duration summaryPeriod;

	private final LongAdder[] counts = new LongAdder[2 * Reason.values().length];

	private long unsummarized;

	private @Nullable String lastFailure;

	private boolean summaryScheduled;

	/** Logs a summary at most once a minute. */
	public AltsHandshakeFailures() {
		this(Duration.ofMinutes(1));
	}

	/**
	 * Logs a summary at most once per {@code summaryPeriod}.
	 * @param summaryPeriod shortest time between two WARN summaries
	 */
	public AltsHandshakeFailures(Duration summaryPeriod) {
		if (summaryPeriod == null || summaryPeriod.isNegative() || summaryPeriod.isZero()) {
			throw new IllegalArgumentException("summaryPeriod must be positive");
		}
		this.summaryPeriod = summaryPeriod;
		for (int i = 0; i < this.counts.length; i++) {
			this.counts[i] = new LongAdder();
		}
	}

	/** Failed handshakes of one side for one reason since this counter was created. */
	public long count(boolean client, Reason reason) {
		return this.counts[index(client, reason)].sum();
	}

	/** Failed handshakes of both sides for all reasons. */
	public long total() {
		long total = 0;
		for (LongAdder count : this.counts) {
			total += count.sum();
		}
		return total;
	}

	/**
	 * Counts one failure; the first of a period schedules the period's summary on
	 * {@code scheduler}. Called by the handshake handler, not by applications.
	 * @param client whether the failed handshake was a client's
	 * @param reason why it failed
	 * @param description what failed, for the log
	 * @param scheduler where the period's summary runs
	 */
	public void record(boolean client, Reason reason, String description, ScheduledExecutorService scheduler) {
		this.counts[index(client, reason)].increment();
		boolean schedule;
		synchronized (this) {
			this.unsummarized++;
			this.lastFailure = (client ? "client" : "server") + " " + reason.tag() + ": " + description;
			schedule = !this.summaryScheduled;
			this.summaryScheduled = true;
		}
		if (schedule) {
			try {
				scheduler.schedule(this::logSummary, this.summaryPeriod.toMillis(), TimeUnit.MILLISECONDS);
			}
			catch (RejectedExecutionException ex) {
				// The event loop is shutting down: summarize now rather than never.
				logSummary();
			}
		}
	}

	/** Logs and resets the failures not summarized yet. */
	void logSummary() {
		long failures;
		String last;
		synchronized (this) {
			failures = this.unsummarized;
			last = this.lastFailure;
			this.unsummarized = 0;
			this.summaryScheduled = false;
		}
		if (failures > 0) {
			long millis = this.summaryPeriod.toMillis();
			String period = (millis % 1000 == 0) ? (millis / 1000) + " s" : millis + " ms";
			logger.warn("{} ALTS handshake(s) failed in the last {} (DEBUG logging of {} shows each); last: {}",
					failures, period, AltsHandshakeHandler.class.getName(), last);
		}
	}

	private static int index(boolean client, Reason reason) {
		return (client ? Reason.values().length : 0) + reason.ordinal();
	}

}
