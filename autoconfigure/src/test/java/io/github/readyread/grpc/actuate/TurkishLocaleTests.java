package io.github.readyread.grpc.actuate;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import io.github.readyread.grpc.buffer.PoolSettings;
import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import io.github.readyread.grpc.transport.NettyTransport;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadPathRegistry;
import io.github.readyread.grpc.transport.ReadyReadTransport;
import io.github.readyread.grpc.transport.TransportSettings;
import io.github.readyread.grpc.transport.TransportType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.info.Info;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Names shown by the endpoint and the info contributor do not depend on the default
 * locale: under Turkish, {@code "NIO".toLowerCase()} is {@code "nıo"}.
 */
class TurkishLocaleTests {

	private final Locale defaultLocale = Locale.getDefault();

	private NettyTransport netty;

	private ReadyReadTransport transport;

	@BeforeEach
	void start() {
		Locale.setDefault(Locale.forLanguageTag("tr-TR"));
		this.netty = NettyTransport.select(TransportType.NIO, 1, Duration.ZERO, Duration.ofSeconds(1));
		this.transport = new ReadyReadTransport(this.netty,
				new PooledBufferAllocator(new PoolSettings(1024 * 1024, 1, true, Duration.ZERO, true)),
				TransportSettings.builder().readPath(ReadPath.CONVENTIONAL).build(), new ReadPathRegistry());
	}

	@AfterEach
	void stop() {
		try {
			this.transport.close();
			this.netty.close();
		}
		finally {
			Locale.setDefault(this.defaultLocale);
		}
	}

	@Test
	void endpointShowsNioAndConventionalUnderTurkish() {
		BufferPoolEndpoint.BufferPoolDescriptor descriptor = new BufferPoolEndpoint(this.transport,
				new ReadPathRegistry())
			.bufferPool();
		assertThat(descriptor.transport()).isEqualTo("nio");
		assertThat(descriptor.readPath()).isEqualTo("conventional");
	}

	@Test
	@SuppressWarnings("unchecked")
	void infoShowsNioUnderTurkish() {
		Info.Builder builder = new Info.Builder();
		new ReadyReadInfoContributor(this.transport).contribute(builder);
		Map<String, Object> readyRead = (Map<String, Object>) ((Map<String, Object>) builder.build().get("grpc"))
			.get("ready-read");
		assertThat(readyRead).containsEntry("transport", "nio").containsEntry("readPath", "conventional");
	}

}
