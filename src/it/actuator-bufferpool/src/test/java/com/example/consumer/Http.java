package com.example.consumer;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;

import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/** Small helpers shared by the tests: real HTTP GETs of JSON, a free port, an echo. */
final class Http {

	private static final Configuration JSON = Configuration.defaultConfiguration()
		.addOptions(Option.SUPPRESS_EXCEPTIONS);

	private Http() {
	}

	static DocumentContext getJson(TestRestTemplate http, String path) {
		ResponseEntity<String> response = http.getForEntity(path, String.class);
		assertThat(response.getStatusCode()).as("GET " + path).isEqualTo(HttpStatus.OK);
		return JsonPath.using(JSON).parse(response.getBody());
	}

	static long number(DocumentContext json, String path) {
		Number value = json.read(path);
		assertThat(value).as(path).isNotNull();
		return value.longValue();
	}

	/** The value of a meter's one measurement, from {@code /actuator/metrics/{name}}. */
	static double measurement(TestRestTemplate http, String meterAndTags, String statistic) {
		DocumentContext json = getJson(http, "/actuator/metrics/" + meterAndTags);
		List<Map<String, Object>> measurements = json.read("$.measurements");
		assertThat(measurements).as(meterAndTags).isNotNull();
		return measurements.stream()
			.filter((measurement) -> statistic.equals(measurement.get("statistic")))
			.map((measurement) -> ((Number) measurement.get("value")).doubleValue())
			.findFirst()
			.orElseThrow(() -> new AssertionError(meterAndTags + " has no " + statistic + ": " + measurements));
	}

	static String echo(Channel channel, String text) {
		return new String(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT,
				text.getBytes()));
	}

	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
