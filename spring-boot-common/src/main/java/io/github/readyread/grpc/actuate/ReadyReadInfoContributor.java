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
		readyRead.put("mode", this.transport.mode());
		readyRead.put("transport", this.transport.transport().type().displayName());
		readyRead.put("readPath", this.transport.readPath().name().toLowerCase(Locale.ROOT));
		builder.withDetail("grpc", Map.of("ready-read", readyRead));
	}

}
