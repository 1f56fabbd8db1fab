package io.github.readyread.grpc.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.readyread.grpc.transport.DataFrames;
import io.github.readyread.grpc.transport.ReadBufferRing;
import io.github.readyread.grpc.transport.ReadPath;
import io.github.readyread.grpc.transport.ReadSizing;
import io.github.readyread.grpc.transport.TransportType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the configuration metadata that IDEs read: generated from
 * {@link ReadyReadProperties} and merged with the hand-written additional metadata.
 */
class ConfigurationMetadataTests {

	private static JsonNode metadata;

	@BeforeAll
	static void read() throws IOException {
		try (InputStream in = ConfigurationMetadataTests.class.getClassLoader()
			.getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
			assertThat(in).as("generated configuration metadata").isNotNull();
			metadata = new ObjectMapper().readTree(in);
		}
	}

	@Test
	void everyReadyReadPropertyHasAOneSentenceDescription() {
		List<JsonNode> properties = properties("grpc.ready-read.");
		assertThat(properties).hasSizeGreaterThanOrEqualTo(22);
		assertThat(properties).allSatisfy((property) -> {
			String description = property.path("description").asText("");
			assertThat(description).as(property.get("name").asText())
				.isNotBlank()
				.endsWith(".")
				.doesNotStartWith("The ");
			assertThat(description.substring(0, description.length() - 1)).as(property.get("name").asText())
				.doesNotContain(". ");
		});
	}

	@Test
	void booleanPropertiesSayWhether() {
		assertThat(properties("grpc.ready-read."))
			.filteredOn((property) -> property.get("type").asText().equals("java.lang.Boolean"))
			.isNotEmpty()
			.allSatisfy((property) -> assertThat(property.get("description").asText()).as(property.get("name").asText())
				.startsWith("Whether "));
	}

	@Test
	void propertiesOfEveryGroupAreThere() {
		assertThat(properties("grpc.ready-read.").stream().map((property) -> property.get("name").asText())).contains(
				"grpc.ready-read.enabled", "grpc.ready-read.transport", "grpc.ready-read.read-path",
				"grpc.ready-read.read-buffer-size", "grpc.ready-read.pool.chunk-size", "grpc.ready-read.pool.arenas",
				"grpc.ready-read.pool.thread-caches", "grpc.ready-read.pool.cache-trim-interval",
				"grpc.ready-read.pool.prefer-direct", "grpc.ready-read.event-loop.threads",
				"grpc.ready-read.event-loop.shutdown-quiet-period", "grpc.ready-read.event-loop.shutdown-timeout",
				"grpc.ready-read.io-uring.ring-entries", "grpc.ready-read.io-uring.ring-buffer-size");
	}

	@Test
	void killSwitchReadByConditionsIsDescribedWithItsDefault() {
		JsonNode enabled = property("grpc.ready-read.enabled");
		assertThat(enabled.get("defaultValue").asBoolean()).isTrue();
		assertThat(enabled.get("type").asText()).isEqualTo("java.lang.Boolean");
	}

	@Test
	void ioUringRingSettingsShowTheDefaultsTheTransportUses() {
		assertThat(property("grpc.ready-read.io-uring.ring-entries").get("defaultValue").asInt())
			.isEqualTo(ReadBufferRing.DEFAULT_ENTRIES);
		assertThat(DataSize.parse(property("grpc.ready-read.io-uring.ring-buffer-size").get("defaultValue").asText())
			.toBytes()).isEqualTo(ReadBufferRing.DEFAULT_BUFFER_SIZE);
	}

	@Test
	void infoContributorSwitchIsDescribed() {
		JsonNode enabled = property("management.info.ready-read.enabled");
		assertThat(enabled.get("description").asText()).startsWith("Whether ");
		assertThat(enabled.get("defaultValue").asBoolean()).isTrue();
	}

	@Test
	void transportHasAHintForEveryValue() {
		assertThat(hintValues("grpc.ready-read.transport"))
			.containsExactlyElementsOf(lowercase(TransportType.values()));
	}

	@Test
	void readPathHasAHintForEveryValue() {
		assertThat(hintValues("grpc.ready-read.read-path")).containsExactlyElementsOf(lowercase(ReadPath.values()));
	}

	@Test
	void readSizingHasAHintForEveryValue() {
		assertThat(hintValues("grpc.ready-read.read-sizing")).containsExactlyElementsOf(lowercase(ReadSizing.values()));
	}

	@Test
	void dataFramesHasAHintForEveryValue() {
		assertThat(hintValues("grpc.ready-read.data-frames")).containsExactlyElementsOf(
				lowercase(DataFrames.values()).stream().map((v) -> v.replace('_', '-')).toList());
	}

	@Test
	void dataFramesIsDescribed() {
		assertThat(property("grpc.ready-read.data-frames").get("description").asText()).contains("slice-filled-reads")
			.contains("copy");
	}

	private static List<JsonNode> properties(String prefix) {
		List<JsonNode> found = new ArrayList<>();
		metadata.get("properties").forEach((property) -> {
			if (property.get("name").asText().startsWith(prefix)) {
				found.add(property);
			}
		});
		return found;
	}

	private static JsonNode property(String name) {
		List<JsonNode> found = properties(name).stream()
			.filter((property) -> property.get("name").asText().equals(name))
			.toList();
		assertThat(found).as(name).hasSize(1);
		return found.get(0);
	}

	private static List<String> hintValues(String name) {
		List<String> values = new ArrayList<>();
		metadata.get("hints").forEach((hint) -> {
			if (hint.get("name").asText().equals(name)) {
				hint.get("values").forEach((value) -> {
					assertThat(value.path("description").asText("")).as(name + " " + value).isNotBlank();
					values.add(value.get("value").asText());
				});
			}
		});
		return values;
	}

	private static List<String> lowercase(Enum<?>[] values) {
		return Arrays.stream(values).map((value) -> value.name().toLowerCase(Locale.ROOT)).toList();
	}

}
