package com.example.consumer;

import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code transport: io_uring} with nothing but the starter, as on Spring Boot 3.5: the
 * starter brings Netty's native io_uring.
 */
@SpringBootTest(properties = { "grpc.ready-read.transport=io_uring", "spring.grpc.server.port=0" })
@ExtendWith(OutputCaptureExtension.class)
class IoUringTransportTests {

	@Autowired
	ReadyReadTransport transport;

	@Test
	void ioUringRunsTheReadyReadPathWhereTheKernelHasIt(CapturedOutput output) {
		assumeTrue(IoUring.isAvailable() && IoUring.isRegisterBufferRingSupported(),
				() -> "io_uring or its provided buffer rings unavailable here: " + IoUring.unavailabilityCause());
		assertThat(this.transport.eventLoops().type().displayName()).isEqualTo("io_uring");
		assertThat(output.getOut()).contains("gRPC ready-read: mode=ready-read, transport=io_uring, read-path=ready");
	}

}
