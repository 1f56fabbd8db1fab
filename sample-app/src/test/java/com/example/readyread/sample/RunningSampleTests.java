package com.example.readyread.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole sample app on random ports with a small file, shared (one cached context) by
 * the test classes that extend it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "sample.file-size=4MB", "sample.chunk-size=256KB", "sample.download.pause=100ms",
				"sample.idle.channels=3", "sample.stall.streams=2", "sample.log-interval=2s",
				// Selenium warns that it has no CDP for this Chromium; the test does not
				// use CDP.
				"logging.level.org.openqa.selenium.devtools=error",
				"logging.level.org.openqa.selenium.chromium=error" })
abstract class RunningSampleTests {

	static final int IDLE_CHANNELS = 3;

	static final int STALLED_STREAMS = 2;

	@DynamicPropertySource
	static void grpcPort(DynamicPropertyRegistry registry) {
		// The channels' address is static://127.0.0.1:${grpc.server.port}, so the port
		// must
		// be known before the server starts: take a free one.
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			int port = socket.getLocalPort();
			registry.add("grpc.server.port", () -> port);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
