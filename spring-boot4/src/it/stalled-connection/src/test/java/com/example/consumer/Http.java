package com.example.consumer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.stub.ClientCalls;

import static org.assertj.core.api.Assertions.assertThat;

/** The actuator over real HTTP, and small gRPC and port helpers. */
final class Http {

	private static final HttpClient CLIENT = HttpClient.newHttpClient();

	private Http() {
	}

	static DocumentContext getJson(int port, String path) throws Exception {
		HttpResponse<String> response = CLIENT.send(
				HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
		return JsonPath.parse(response.body());
	}

	static long number(DocumentContext json, String path) {
		return ((Number) json.read(path)).longValue();
	}

	/** The first measurement value of a meter, from {@code /actuator/metrics}. */
	static double measurement(int port, String meterAndTags) throws Exception {
		DocumentContext json = getJson(port, "/actuator/metrics/" + meterAndTags);
		return ((Number) json.read("$.measurements[0].value")).doubleValue();
	}

	static String echo(Channel channel, String text) {
		return new String(ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, text.getBytes()));
	}

	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
