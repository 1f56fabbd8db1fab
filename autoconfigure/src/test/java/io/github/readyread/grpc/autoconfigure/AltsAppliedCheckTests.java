package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link AltsAppliedCheck} on its own, without a Spring context to stop the
 * server it fails on.
 */
class AltsAppliedCheckTests {

	@Test
	void aServerBuiltWithoutTheTransportIsShutDownBeforeTheCheckFails() throws IOException {
		ReadyReadProperties.Alts alts = new ReadyReadProperties().getAlts();
		alts.setServer(true);
		Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
			.build()
			.start();
		try {
			int port = server.getPort();
			AltsAppliedCheck check = new AltsAppliedCheck(new ReadPathRegistry(), alts);
			check.check();
			assertThatIllegalStateException()
				.isThrownBy(() -> check.serverStarted(server, "announced", "a factory of its own"))
				.withMessageContaining("127.0.0.1:" + port)
				.withMessageContaining("probably a factory of its own")
				.withMessageNotContaining("announced");
			assertThat(server.isTerminated()).isTrue();
			// Once more for AltsCheckRunListener, in case the event multicaster dropped
			// it.
			assertThatIllegalStateException().isThrownBy(check::check)
				.withMessageContaining("127.0.0.1:" + port)
				.withMessageContaining("has been shut down");
			assertThatExceptionOfType(ConnectException.class)
				.isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close());
		}
		finally {
			server.shutdownNow();
		}
	}

}
