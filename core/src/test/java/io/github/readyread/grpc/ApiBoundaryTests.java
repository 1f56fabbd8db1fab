package io.github.readyread.grpc;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.readyread.grpc.buffer.PooledBufferAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Core's public API is a deliberate list, and the Spring modules use nothing else: the
 * {@code .internal} packages may change in any release.
 */
class ApiBoundaryTests {

	/**
	 * Every public top-level type of core outside an {@code .internal} package. Adding
	 * one here is a decision about the API, not a way to make the build pass.
	 */
	private static final Set<String> PUBLIC_API = Set.of("io.github.readyread.grpc.alts.AltsChannelSecurity",
			"io.github.readyread.grpc.alts.AltsHandshakeFailures", "io.github.readyread.grpc.alts.AltsPeer",
			"io.github.readyread.grpc.alts.embedded.EmbeddedHandshaker",
			"io.github.readyread.grpc.alts.embedded.EmbeddedHandshakerService",
			"io.github.readyread.grpc.buffer.PoolSettings", "io.github.readyread.grpc.buffer.PooledBufferAllocator",
			"io.github.readyread.grpc.transport.ChannelSecurity",
			"io.github.readyread.grpc.transport.ConnectionInstrumentation",
			"io.github.readyread.grpc.transport.ConnectionSecurity", "io.github.readyread.grpc.transport.DataFrames",
			"io.github.readyread.grpc.transport.NettyTransport", "io.github.readyread.grpc.transport.Owner",
			"io.github.readyread.grpc.transport.ReadBufferRing", "io.github.readyread.grpc.transport.ReadPath",
			"io.github.readyread.grpc.transport.ReadPathRegistry", "io.github.readyread.grpc.transport.ReadPathStats",
			"io.github.readyread.grpc.transport.ReadSizing", "io.github.readyread.grpc.transport.ReadyReadBuilders",
			"io.github.readyread.grpc.transport.ReadyReadMode", "io.github.readyread.grpc.transport.ReadyReadTransport",
			"io.github.readyread.grpc.transport.TransportSecurity",
			"io.github.readyread.grpc.transport.TransportSettings", "io.github.readyread.grpc.transport.TransportType");

	/** The modules that wire core into Spring, relative to the repository root. */
	private static final List<String> SPRING_MODULES = List.of("autoconfigure", "spring-boot4/autoconfigure",
			"spring-boot-common", "micrometer");

	/**
	 * A grpc-java type named in a class file ({@code io/grpc/netty/NettyServerBuilder}).
	 */
	private static final Pattern GRPC_TYPE = Pattern.compile("L?(io/grpc/[\\w/$]+?)[;<\\x01\\x00-\\x1f]");

	/** A reference to a core internal package, in an import or a qualified name. */
	private static final Pattern INTERNAL = Pattern.compile("io\\.github\\.readyread\\.grpc(\\.\\w+)*\\.internal\\b");

	@Test
	void publicTypesOfCoreAreTheListedApi() throws IOException, URISyntaxException {
		assertThat(publicTypes(coreClasses()))
			.as("public top-level types of core outside .internal packages (a new one is an API decision:"
					+ " make it package-private, move it to an .internal package, or add it to PUBLIC_API)")
			.containsExactlyInAnyOrderElementsOf(PUBLIC_API);
	}

	@Test
	void springModulesUseNoInternalPackageOfCore() throws IOException {
		List<String> references = new ArrayList<>();
		int scanned = 0;
		for (String module : SPRING_MODULES) {
			Path sources = repositoryRoot().resolve(module).resolve("src/main/java");
			assertThat(sources).as("main sources of " + module).isDirectory();
			try (Stream<Path> files = Files.walk(sources)) {
				for (Path file : files.filter((path) -> path.toString().endsWith(".java")).toList()) {
					scanned++;
					references.addAll(internalReferences(repositoryRoot().relativize(file), file));
				}
			}
		}
		assertThat(scanned).as("Java files scanned in the Spring modules").isGreaterThan(20);
		assertThat(references)
			.as("references of Spring modules to core's .internal packages (not API; add what they need to the API)")
			.isEmpty();
	}

	/**
	 * grpc-java's internal API ({@code io.grpc.internal}, or types annotated
	 * {@code @io.grpc.Internal}, such as {@code GrpcHttp2ConnectionHandler} and the
	 * {@code Internal*} accessors) may change in any grpc-java release: core reaches it
	 * only through {@code GrpcNettyBridge}, so an upgrade touches one class. Read from
	 * the compiled classes, which name every type they use.
	 */
	@Test
	void grpcJavasInternalApiIsUsedOnlyThroughGrpcNettyBridge() throws IOException, URISyntaxException {
		Path classes = coreClasses();
		List<String> uses = new ArrayList<>();
		List<String> bridgeUses = new ArrayList<>();
		try (Stream<Path> files = Files.walk(classes)) {
			for (Path file : files.filter((path) -> path.toString().endsWith(".class")).toList()) {
				String name = classes.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
				boolean bridge = name.startsWith("io/github/readyread/grpc/transport/internal/GrpcNettyBridge");
				for (String used : grpcInternalTypes(Files.readAllBytes(file))) {
					(bridge ? bridgeUses : uses).add(name + " -> " + used);
				}
			}
		}
		assertThat(bridgeUses).as("what the bridge reaches (the detector finds grpc's internals)")
			.anyMatch((use) -> use.endsWith("io.grpc.netty.GrpcHttp2ConnectionHandler"))
			.anyMatch((use) -> use.contains("io.grpc.internal."));
		assertThat(uses).as("grpc-java internal API used outside GrpcNettyBridge").isEmpty();
	}

	@Test
	void internalReferenceIsFoundInAnImportAndAQualifiedName() throws IOException {
		Path file = Files.createTempFile("Planted", ".java");
		try {
			Files.writeString(file,
					String.join("\n", "package x;", "",
							"import io.github.readyread.grpc.transport.internal.ReadDemand;",
							"import io.github.readyread.grpc.transport.ReadPathStats;", "",
							"class Planted { io.github.readyread.grpc.alts.internal.AltsCrypter crypter; }", ""));
			assertThat(internalReferences(Path.of("Planted.java"), file)).containsExactly(
					"Planted.java:3: io.github.readyread.grpc.transport.internal",
					"Planted.java:6: io.github.readyread.grpc.alts.internal");
		}
		finally {
			Files.delete(file);
		}
	}

	private static List<String> internalReferences(Path name, Path file) throws IOException {
		List<String> references = new ArrayList<>();
		List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
		for (int i = 0; i < lines.size(); i++) {
			Matcher matcher = INTERNAL.matcher(lines.get(i));
			while (matcher.find()) {
				references.add(name + ":" + (i + 1) + ": " + matcher.group());
			}
		}
		return references;
	}

	/** The grpc-java types a class file names that are internal API. */
	private static Set<String> grpcInternalTypes(byte[] classFile) throws IOException {
		Set<String> internal = new TreeSet<>();
		Matcher names = GRPC_TYPE.matcher(new String(classFile, StandardCharsets.ISO_8859_1));
		while (names.find()) {
			String type = names.group(1).replace('/', '.');
			if (type.startsWith("io.grpc.internal.") || isAnnotatedInternal(names.group(1))) {
				internal.add(type);
			}
		}
		return internal;
	}

	/**
	 * Whether grpc-java annotates the type itself {@code @io.grpc.Internal} (a CLASS
	 * retention annotation: read from the class attributes of its class file; methods
	 * annotated so in a public type do not count).
	 */
	private static boolean isAnnotatedInternal(String binaryName) throws IOException {
		try (InputStream in = ApiBoundaryTests.class.getClassLoader().getResourceAsStream(binaryName + ".class")) {
			if (in == null) {
				return false;
			}
			DataInputStream data = new DataInputStream(new ByteArrayInputStream(in.readAllBytes()));
			data.skipBytes(8);
			String[] utf8 = new String[data.readUnsignedShort()];
			for (int i = 1; i < utf8.length; i++) {
				int tag = data.readUnsignedByte();
				switch (tag) {
					case 1 -> utf8[i] = data.readUTF();
					case 7, 8, 16, 19, 20 -> data.skipBytes(2);
					case 15 -> data.skipBytes(3);
					case 3, 4, 9, 10, 11, 12, 17, 18 -> data.skipBytes(4);
					case 5, 6 -> {
						data.skipBytes(8);
						i++;
					}
					default -> throw new IOException("constant pool tag " + tag + " in " + binaryName);
				}
			}
			data.skipBytes(6);
			data.skipBytes(2 * data.readUnsignedShort());
			for (int members = 0; members < 2; members++) {
				for (int count = data.readUnsignedShort(); count > 0; count--) {
					data.skipBytes(6);
					skipAttributes(data);
				}
			}
			for (int count = data.readUnsignedShort(); count > 0; count--) {
				String attribute = utf8[data.readUnsignedShort()];
				byte[] body = data.readNBytes(data.readInt());
				if (!"RuntimeInvisibleAnnotations".equals(attribute)
						&& !"RuntimeVisibleAnnotations".equals(attribute)) {
					continue;
				}
				DataInputStream annotations = new DataInputStream(new ByteArrayInputStream(body));
				for (int n = annotations.readUnsignedShort(); n > 0; n--) {
					if ("Lio/grpc/Internal;".equals(utf8[annotations.readUnsignedShort()])) {
						return true;
					}
					// Internal has no elements; past an annotation that has some, the
					// rest
					// of the list cannot be read without parsing them: stop there.
					if (annotations.readUnsignedShort() != 0) {
						break;
					}
				}
			}
			return false;
		}
	}

	private static void skipAttributes(DataInputStream data) throws IOException {
		for (int count = data.readUnsignedShort(); count > 0; count--) {
			data.skipBytes(2);
			data.skipBytes(data.readInt());
		}
	}

	private static Set<String> publicTypes(Path classes) throws IOException {
		Set<String> types = new TreeSet<>();
		try (Stream<Path> files = Files.walk(classes)) {
			for (Path file : files.filter((path) -> path.toString().endsWith(".class")).toList()) {
				String relative = classes.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
				String name = relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
				if (name.contains("$") || name.endsWith(".package-info") || name.contains(".internal.")) {
					continue;
				}
				if (isPublic(name)) {
					types.add(name);
				}
			}
		}
		assertThat(types).as("public types found in " + classes).isNotEmpty();
		return types;
	}

	private static boolean isPublic(String name) {
		try {
			return Modifier
				.isPublic(Class.forName(name, false, ApiBoundaryTests.class.getClassLoader()).getModifiers());
		}
		catch (ClassNotFoundException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Core's compiled main classes. */
	private static Path coreClasses() throws URISyntaxException {
		Path classes = Path.of(PooledBufferAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		assertThat(classes).as("core's main classes").isDirectory();
		return classes;
	}

	/** The repository root: core's tests run in {@code core/}. */
	private static Path repositoryRoot() {
		Path core = Path.of("").toAbsolutePath();
		assertThat(core.resolve("src/main/java/io/github/readyread/grpc")).as("core module directory").isDirectory();
		return core.getParent();
	}

}
