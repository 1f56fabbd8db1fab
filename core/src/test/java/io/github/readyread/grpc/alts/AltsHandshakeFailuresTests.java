package io.github.readyread.grpc.alts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.readyread.grpc.SocketRig;
import io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker;
import io.github.readyread.grpc.alts.internal.AltsHandshakeHandler;
import io.github.readyread.grpc.alts.internal.AltsNegotiator;
import io.github.readyread.grpc.alts.internal.AltsSettings;
import io.github.readyread.grpc.transport.ReadPathStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failed handshakes are counted by reason and logged once per connection at DEBUG only,
 * with at most one WARN summary per period: a port scanner must not flood the log.
 */
class AltsHandshakeFailuresTests {

	private final ReadPathStats stats = new ReadPathStats("server");

	private final ListAppender<ILoggingEvent> handlerLog = new ListAppender<>();

	private final Logger handlerLogger = (Logger) LoggerFactory.getLogger(AltsHandshakeHandler.class);

	private Level previousLevel;

	private EmbeddedHandshaker handshaker;

	private AltsNegotiator negotiator;

	private SocketRig rig;

	@BeforeEach
	void startServer() throws IOException {
		this.previousLevel = this.handlerLogger.getLevel();
		this.handlerLogger.setLevel(Level.DEBUG);
		this.handlerLog.start();
		this.handlerLogger.addAppender(this.handlerLog);
		this.handshaker = EmbeddedHandshaker.start("server@test");
		this.negotiator = AltsNegotiator.server(
				AltsSettings.of(this.handshaker.channel(), this.stats).withHandshakeTimeout(Duration.ofMillis(500)));
		this.rig = SocketRig.onEpollOrNio().serverSecurity((side) -> this.negotiator).start();
	}

	@AfterEach
	void stopServer() throws Exception {
		this.handlerLogger.detachAppender(this.handlerLog);
		this.handlerLogger.setLevel(this.previousLevel);
		this.rig.shutdownServerNow();
		this.handshaker.close();
		this.rig.closeAndAssertPoolsEmpty();
	}

	@Test
	void eachFailedHandshakeIsCountedByReasonAndLoggedAtDebugOnly() throws Exception {
		// A port scanner's three connections: silent, closing, speaking HTTP.
		try (Socket silent = connect()) {
			assertThat(silent.getInputStream().read()).isEqualTo(-1);
		}
		try (Socket closing = connect()) {
			closing.getOutputStream().write(new byte[] { 0, 0, 1 });
		}
		try (Socket http = connect()) {
			http.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			assertThat(http.getInputStream().read()).isEqualTo(-1);
		}
		AltsHandshakeFailures failures = this.negotiator.failures();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(failures.count(false, AltsHandshakeFailures.Reason.TIMEOUT)).isEqualTo(1);
			assertThat(failures.count(false, AltsHandshakeFailures.Reason.PEER_CLOSED)).isEqualTo(1);
			assertThat(failures.count(false, AltsHandshakeFailures.Reason.HANDSHAKER_ERROR)).isEqualTo(1);
		});
		assertThat(failures.count(false, AltsHandshakeFailures.Reason.PROTOCOL)).isZero();
		assertThat(failures.count(true, AltsHandshakeFailures.Reason.TIMEOUT)).isZero();
		assertThat(failures.total()).isEqualTo(3);
		List<ILoggingEvent> events = List.copyOf(this.handlerLog.list);
		assertThat(events).filteredOn((event) -> event.getFormattedMessage().contains("ALTS handshake with"))
			.hasSize(3)
			.allSatisfy((event) -> assertThat(event.getLevel()).isEqualTo(Level.DEBUG));
		assertThat(events).noneMatch((event) -> event.getLevel().isGreaterOrEqual(Level.INFO));
	}

	@Test
	void failuresOfOnePeriodAreSummarizedInOneWarning() {
		ListAppender<ILoggingEvent> summaries = new ListAppender<>();
		summaries.start();
		Logger summaryLogger = (Logger) LoggerFactory.getLogger(AltsHandshakeFailures.class);
		summaryLogger.addAppender(summaries);
		ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
		try {
			AltsHandshakeFailures failures = new AltsHandshakeFailures(Duration.ofMinutes(1));
			failures.record(false, AltsHandshakeFailures.Reason.TIMEOUT, "first", scheduler);
			failures.record(false, AltsHandshakeFailures.Reason.PEER_CLOSED, "second", scheduler);
			failures.record(true, AltsHandshakeFailures.Reason.HANDSHAKER_ERROR, "third", scheduler);
			// One summary scheduled for the three; nothing logged yet.
			assertThat(scheduler.getQueue()).hasSize(1);
			assertThat(summaries.list).isEmpty();
			RunnableScheduledFuture<?> summary = (RunnableScheduledFuture<?>) scheduler.getQueue().peek();
			scheduler.remove(summary);
			summary.run();
			assertThat(summaries.list).singleElement().satisfies((event) -> {
				assertThat(event.getLevel()).isEqualTo(Level.WARN);
				assertThat(event.getFormattedMessage()).startsWith("3 ALTS handshake(s) failed in the last 60 s")
					.endsWith("last: client handshaker-error: third");
			});
			// The next failure starts the next period.
			failures.record(false, AltsHandshakeFailures.Reason.PROTOCOL, "fourth", scheduler);
			assertThat(scheduler.getQueue()).hasSize(1);
			assertThat(failures.total()).isEqualTo(4);
		}
		finally {
			scheduler.shutdownNow();
			summaryLogger.detachAppender(summaries);
		}
	}

	@Test
	void reasonTagsAreLowercaseWords() {
		assertThat(AltsHandshakeFailures.Reason.values()).extracting(AltsHandshakeFailures.Reason::tag)
			.containsExactly("timeout", "peer-closed", "handshaker-error", "protocol", "peer-identity");
	}

	private Socket connect() throws IOException {
		Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.rig.port());
		socket.setSoTimeout(10_000);
		return socket;
	}

}
