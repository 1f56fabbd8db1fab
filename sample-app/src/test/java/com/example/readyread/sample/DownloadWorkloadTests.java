package com.example.readyread.sample;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import io.github.readyread.grpc.transport.ConnectionSecurity;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.client.TestRestTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DownloadWorkloadTests extends RunningSampleTests {

	@Autowired
	DownloadClient client;

	@Autowired
	DownloadService service;

	@Autowired
	GeneratedFile file;

	@Autowired
	ReadyReadTransport transport;

	@Autowired
	ReadPathRegistry readPaths;

	@Autowired
	TestRestTemplate rest;

	@Test
	void downloadsRepeatWithMatchingChecksums() {
		awaitTrue(() -> this.client.downloadsCompleted() >= 2, "two complete downloads");
		assertThat(this.client.downloadsFailed()).isZero();
		assertThat(this.client.bytesDownloaded()).isGreaterThanOrEqualTo(2L * this.file.size());
		assertThat(this.file.size()).isEqualTo(4 * 1024 * 1024);
		assertThat(this.file.chunks()).isEqualTo(16);
	}

	@Test
	void fileIsTheSameForTheSameSeedAndDiffersForAnother() {
		assertThat(new GeneratedFile(4 * 1024 * 1024, 256 * 1024, 42).crc32()).isEqualTo(this.file.crc32());
		assertThat(new GeneratedFile(4 * 1024 * 1024, 256 * 1024, 43).crc32()).isNotEqualTo(this.file.crc32());
	}

	@Test
	void idleChannelsEachKeepOneConnection() {
		awaitTrue(() -> this.client.idleChannelsOpened() == IDLE_CHANNELS, "idle channels connected");
		for (int i = 0; i < IDLE_CHANNELS; i++) {
			assertThat(this.readPaths.channel("idle-" + i).stats().connections()).as("idle-" + i).isEqualTo(1);
			assertThat(this.readPaths.channel("idle-" + i).security()).as("security of idle-" + i)
				.isEqualTo(ConnectionSecurity.ALTS);
		}
	}

	@Test
	void stalledStreamsStayOpenWithTheirMessageUntaken() {
		awaitTrue(() -> this.service.stallsWaiting() == STALLED_STREAMS, "stalled calls open on the server");
		assertThat(this.client.stalledStreams()).isEqualTo(STALLED_STREAMS);
		// 256KB messages against a 64KB window: the server cannot send them whole.
		awaitTrue(() -> this.service.stallsBlockedByFlowControl() == STALLED_STREAMS,
				"stalled calls blocked by the client's flow control window");
		for (int i = 0; i < STALLED_STREAMS; i++) {
			assertThat(this.readPaths.channel("stall-" + i).stats().connections()).as("stall-" + i).isEqualTo(1);
		}
	}

	@Test
	void poolFiguresEndpointServesWhatTheChartPlots() {
		awaitTrue(() -> this.client.downloadsCompleted() >= 1, "a complete download");
		awaitTrue(() -> this.service.stallsWaiting() == STALLED_STREAMS, "stalled calls open on the server");
		PoolFigures figures = this.rest.getForObject("/demo/pool", PoolFigures.class);
		assertThat(figures.reservedDirectBytes()).isPositive();
		// At least the stalled messages' unsent rest waits in pooled buffers on the
		// server.
		assertThat(figures.pinnedDirectBytes()).isPositive();
		assertThat(figures.mode()).isEqualTo(this.transport.mode().displayName());
		assertThat(figures.transport()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
		assertThat(figures.readPath()).isEqualTo("ready");
		assertThat(figures.downloadsCompleted()).isPositive();
		assertThat(figures.idleConnections()).isEqualTo(IDLE_CHANNELS);
		assertThat(figures.stalledStreams()).isEqualTo(STALLED_STREAMS);
		// Client and server end of every connection: download, idle-N, stall-N.
		assertThat(figures.connections()).isEqualTo(2L * (1 + IDLE_CHANNELS + STALLED_STREAMS));
	}

	@Test
	void pageAndScriptAreServed() {
		assertThat(this.rest.getForObject("/", String.class)).contains("<canvas id=\"chart\"")
			.contains("pool-chart.js");
		assertThat(this.rest.getForObject("/pool-chart.js", String.class)).contains("demo/pool");
	}

	static void awaitTrue(BooleanSupplier condition, String what) {
		await(what).atMost(Duration.ofSeconds(60)).until(condition::getAsBoolean);
	}

}
