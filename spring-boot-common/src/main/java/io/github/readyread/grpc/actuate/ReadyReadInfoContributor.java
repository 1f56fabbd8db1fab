package io.github.readyread.grpc.actuate;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import io.github.readyread.grpc.transport.ReadyReadTransport;

import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * {@link InfoContributor} that adds the ready-read mode, transport and read path under
 * {@code grpc.ready-read}.
 */
public class ReadyReadInfoContributor implements InfoContributor {

	private final ReadyReadTransport transport;

	public ReadyReadInfoContributor(ReadyReadTransport transport) {
		this.transport = transport;
	}

	@Override
	public void contribute(Info.Builder builder) {
		Map<String, Object> readyRead = new LinkedHashMap<>();
		readyRead.put("mode", this.transport.mode().displayName());
		readyRead.put("transport", this.transport.eventLoops().type().displayName());
		readyRead.put("readPath", this.transport.settings().readPath().name().toLowerCase(Locale.ROOT));
		builder.withDetail("grpc", Map.of("ready-read", readyRead));
	}

}
