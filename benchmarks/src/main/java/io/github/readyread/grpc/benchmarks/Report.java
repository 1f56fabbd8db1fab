package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Predicate;
import java.util.stream.Stream;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.jspecify.annotations.Nullable;

/**
 * Merges the JMH results and the harness rows into {@code results.json},
 * {@code results.md} and the download chart; computes every ratio and target from them.
 *
 * <p>
 * Arguments: the results directory (holding JMH's {@code jmh-*.json} and {@code rows/})
 * and, optionally, how many seconds the whole run took.
 */
public final class Report {

	private static final List<String> CONFIGS = List.of("ready", "io_uring", "conventional", "stock");

	private static final List<String> SECURITIES = List.of("plaintext", "alts");

	private final Map<String, JsonObject> rows = new LinkedHashMap<>();

	/**
	 * Largest relative half-interval of a score for which a ratio's interval is stated.
	 */
	private static final double MAX_RELATIVE = 0.5;

	private final Map<String, double[]> jmh = new LinkedHashMap<>();

	/**
	 * Per JMH key, ops/s of each round of forks (one JMH invocation per configuration
	 * each).
	 */
	private final Map<String, double[]> jmhRounds = new LinkedHashMap<>();

	private final List<Map<String, Object>> targets = new ArrayList<>();

	private final StringBuilder md = new StringBuilder();

	private Report() {
	}

	public static void main(String[] args) throws IOException {
		Path dir = Path.of(args[0]);
		Report report = new Report();
		report.load(dir);
		Map<String, Object> machine = machine();
		if (args.length > 1) {
			machine.put("runSeconds", Integer.parseInt(args[1]));
		}
		report.write(dir, machine);
	}

	private void load(Path dir) throws IOException {
		Path rowsDir = dir.resolve("rows");
		if (Files.isDirectory(rowsDir)) {
			try (Stream<Path> files = Files.list(rowsDir)) {
				for (Path file : files.sorted().toList()) {
					JsonObject row = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
					this.rows.put(file.getFileName().toString().replace(".json", ""), row);
				}
			}
		}
		this.jmh.putAll(JmhFigures.load(dir));
		this.jmhRounds.putAll(JmhFigures.rounds(dir));
	}

	private static Map<String, Object> machine() throws IOException {
		Map<String, Object> machine = new LinkedHashMap<>();
		String cpu = Files.readAllLines(Path.of("/proc/cpuinfo"))
			.stream()
			.filter((line) -> line.startsWith("model name"))
			.map((line) -> line.replaceFirst("model name\\s*:\\s*", ""))
			.findFirst()
			.orElse("unknown");
		machine.put("cpu", cpu);
		machine.put("cores", Runtime.getRuntime().availableProcessors());
		machine.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
		machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
		machine.put("memTotal", Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
		// The benchmark JVMs take their options from run.sh, as this one does.
		machine.put("leakDetection", LeakDetection.describe());
		return machine;
	}

	private void write(Path dir, Map<String, Object> machine) throws IOException {
		this.md.append("# grpc-ready-read benchmark results\n\n");
		this.md.append("Generated ").append(Instant.now()).append(" by `benchmarks/run.sh`. Machine: ");
		this.md.append(machine.get("cpu")).append(", ").append(machine.get("cores")).append(" cores, ");
		this.md.append(machine.get("kernel")).append(", ").append(machine.get("jdk")).append(", ");
		this.md.append(machine.get("memTotal")).append(". Netty's leak detector: ");
		this.md.append(machine.get("leakDetection")).append(".");
		if (machine.containsKey("runSeconds")) {
			int seconds = (Integer) machine.get("runSeconds");
			this.md.append(" The whole run (build included) took ").append(seconds / 60).append(" min ");
			this.md.append(seconds % 60).append(" s.");
		}
		this.md.append("\n\n");
		this.md.append("Ratios are against stock (grpc-netty-shaded / grpc-alts) with the same security. "
				+ "`n/a`: not measured, with the reason in results.json.\n\n");
		jmhTables();
		idleTable();
		stalledTable("stalled", "4. Stalled mid-frame",
				"Connections that have carried traffic (a 128 KiB download each), then an answer that stops "
						+ "4 KiB into its first frame: a few KiB of real bytes waiting.");
		stalledTable("stalled-fresh", "4b. Stalled inside the second frame of a fresh connection",
				"Connections after one small echo, then a 32 KiB answer that stops 20,000 bytes in, inside its "
						+ "second 16 KiB frame: gRPC also keeps the first frame of the incomplete message. One run measures "
						+ "4b, then closes those connections, then 4 and 5, in the same client.");
		stalledMessagesTable();
		stalledTable("scale", "5. Scale: stalled mid-frame",
				"As 4, with 10,000 connections (the 200 of scenario 4 are among them).");
		downloadTable();
		targetTable();
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("machine", machine);
		json.put("generatedAt", Instant.now().toString());
		Map<String, Object> jmhJson = new LinkedHashMap<>();
		this.jmh.forEach((key, value) -> {
			Map<String, Object> figures = new LinkedHashMap<>();
			figures.put("opsPerSecond", value[0]);
			figures.put("opsPerSecondError", orNa(value[3]));
			figures.put("cpuMsPerOp", orNa(value[4]));
			figures.put("cpuMsPerOpError", orNa(value[5]));
			figures.put("syscallsPerOp", orNa(value[6]));
			figures.put("syscallsPerOpError", orNa(value[7]));
			figures.put("cpuMsPerOpPerIteration", orNa(value[8]));
			figures.put("cpuMsPerOpPerIterationError", orNa(value[9]));
			figures.put("hostStealPercent", orNa(value[10]));
			figures.put("hostStealPercentError", orNa(value[11]));
			figures.put("forksKept", (int) value[JmhFigures.KEPT]);
			figures.put("forks", (int) value[JmhFigures.OF]);
			figures.put("everyForkAboveStealBound", value[JmhFigures.ALL_ABOVE] == 1);
			figures.put("opsPerSecondAllForks", orNa(value[JmhFigures.OPS_ALL]));
			figures.put("opsPerSecondAllForksError", orNa(value[JmhFigures.OPS_ALL_ERROR]));
			figures.put("heapBytesPerOp", orNa(value[1]));
			figures.put("poolBytesPerOp", orNa(value[2]));
			jmhJson.put(key, figures);
		});
		json.put("jmh", jmhJson);
		json.put("download", downloadSummary());
		json.put("harness", this.rows);
		json.put("targets", this.targets);
		Files.writeString(dir.resolve("results.json"),
				new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(json));
		Files.writeString(dir.resolve("results.md"), this.md);
		chart(dir, machine);
	}

	private void jmhTables() {
		this.md.append("## 1. LargeMessage (1 MiB unary echo) and 2. read/write (16 KiB echo), JMH\n\n");
		this.md
			.append("The configurations measured (io_uring and conventional only with `ALL=1 benchmarks/run.sh`) in the same run, "
					+ "their forks going round with the others' (in each round one JMH invocation per configuration, "
					+ "ready and stock in turn first, each forking once for each benchmark and security, so that every "
					+ "fork follows the same fork of its own configuration; see `benchmarks/run.sh` for forks and "
					+ "iterations); "
					+ "`+-` is the 99.9% confidence interval over all forks' iterations, as JMH computes it (CPU and "
					+ "syscalls: over the forks' figures; CPU ms/op (iter.): the same process CPU time read around each "
					+ "measurement iteration by `ProcessCpuProfiler`, over every iteration of every fork but its last, whose window also holds the trial's tear-down); in an x stock column, `+-` is the half-width of the ratio's "
					+ "99.9% interval, propagated from both sides' intervals to first order (the relative half-widths "
					+ "added in quadrature), stated where each side's half-interval is under half its score. CPU ms/op and "
					+ "syscalls/op come from `-prof perfnorm` (`task-clock`, `raw_syscalls:sys_enter`): counts of the "
					+ "whole forked JVM (client, server and JMH; after the warm-up, the tear-down included) divided by the operations; on a shared or small machine "
					+ "syscalls/op is the stable figure, ops/s and CPU the noisy ones. Heap B/op: heap allocated per round "
					+ "trip by the whole process, from -prof gc. Pool B/op: bytes of buffers the client's and server's "
					+ "channels take from their pools per round trip (read buffers, decrypted records, copies, write "
					+ "buffers), counted by a counting allocator in front of each pool; in Java the read path's buffers "
					+ "are pooled direct memory, which the heap figure does not see. Host steal: the share of the "
					+ "machine's CPU time the hypervisor took while the measurement iterations ran (`/proc/stat`, read "
					+ "around each iteration by `HostStealProfiler`, every iteration but each fork's last); a "
					+ "configuration whose forks ran while another tenant had the cores shows it here, its ops/s lower "
					+ "and its CPU per op higher (perf and the process count stolen time as the task's own). Forks kept: "
					+ "every figure of a row is made of its forks whose measured iterations saw at most "
					+ (int) StealRule.BOUND_PERCENT + " % steal on average, the same rule for every configuration, "
					+ "fixed before the run (`StealRule`); where every fork of a row was above it, all are kept and the "
					+ "row says so. The targets below give ops/s over all forks too.\n\n");
		this.md.append("| benchmark | security | config | ops/s | x stock | CPU ms/op | x stock | CPU ms/op (iter.) "
				+ "| x stock | syscalls/op | x stock | heap B/op | x stock | pool B/op | x stock | host steal % "
				+ "| forks kept |\n");
		this.md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		List<String> configs = shown(
				(config) -> this.jmh.keySet().stream().anyMatch((key) -> key.contains("-" + config + "-")), "io_uring",
				"conventional");
		for (String method : List.of("largeMessage", "readWrite")) {
			for (String security : SECURITIES) {
				double[] stock = this.jmh.get(method + "-stock-" + security);
				for (String config : configs) {
					double[] value = this.jmh.get(method + "-" + config + "-" + security);
					this.md.append("| ").append(method).append(" | ").append(security).append(" | ").append(config);
					this.md.append(" | ")
						.append(withError(value, 0, 3, "%.0f"))
						.append(" | ")
						.append(ratioWithError(value, stock, 0, 3));
					this.md.append(" | ")
						.append(withError(value, 4, 5, "%.3f"))
						.append(" | ")
						.append(ratioWithError(value, stock, 4, 5));
					this.md.append(" | ")
						.append(withError(value, 8, 9, "%.3f"))
						.append(" | ")
						.append(ratioWithError(value, stock, 8, 9));
					this.md.append(" | ")
						.append(withError(value, 6, 7, "%.1f"))
						.append(" | ")
						.append(ratioWithError(value, stock, 6, 7));
					this.md.append(" | ").append(num(value, 1)).append(" | ").append(ratio(value, stock, 1));
					this.md.append(" | ").append(num(value, 2)).append(" | ").append(ratio(value, stock, 2));
					this.md.append(" | ").append(withError(value, 10, 11, "%.1f"));
					this.md.append(" | ").append(forksKept(value));
					this.md.append(" |\n");
				}
				double[] ready = this.jmh.get(method + "-ready-" + security);
				String name = method + " " + security;
				target(name + ": ops/s >= 1.0x stock", ready, stock, 0, 1.0, true);
				interval(ready, stock, 0, 3, 1.0);
				byRound(method, security);
				allForks(ready, stock);
				target(name + ": CPU ms/op <= 1.05x stock", ready, stock, 4, 1.05, false);
				interval(ready, stock, 4, 5, 1.05);
				target(name + ": CPU ms/op (per iteration) <= 1.05x stock", ready, stock, 8, 1.05, false);
				interval(ready, stock, 8, 9, 1.05);
				target(name + ": syscalls/op <= 1.2x stock", ready, stock, 6, 1.2, false);
				interval(ready, stock, 6, 7, 1.2);
				if (method.equals("readWrite")) {
					target(name + ": heap B/op <= 0.5x stock", ready, stock, 1, 0.5, false);
					target(name + ": pool B/op <= 0.5x stock", ready, stock, 2, 0.5, false);
				}
			}
		}
		this.md.append('\n');
	}

	/** {@code 2/3}: the forks a row's figures are made of, of those it had. */
	private static String forksKept(double @Nullable [] value) {
		if (value == null || Double.isNaN(value[JmhFigures.OF])) {
			return "n/a";
		}
		return StealRule.describe((int) value[JmhFigures.KEPT], (int) value[JmhFigures.OF],
				value[JmhFigures.ALL_ABOVE] == 1);
	}

	/**
	 * Adds to the last target ready / stock ops/s over all forks, those {@link StealRule}
	 * left out included, where it left any out.
	 */
	private void allForks(double @Nullable [] ready, double @Nullable [] stock) {
		if (ready == null || stock == null
				|| (ready[JmhFigures.KEPT] == ready[JmhFigures.OF] && stock[JmhFigures.KEPT] == stock[JmhFigures.OF])) {
			return;
		}
		double all = ready[JmhFigures.OPS_ALL] / stock[JmhFigures.OPS_ALL];
		this.targets.get(this.targets.size() - 1).put("allForks", all);
		addToSpread("over all forks, those above the steal bound included, " + ratio(all));
	}

	/** Adds {@code what} to the spread of the target added last, after what it says. */
	private void addToSpread(String what) {
		Map<String, Object> target = this.targets.get(this.targets.size() - 1);
		Object spread = target.get("spread");
		target.put("spread", ((spread != null) ? spread + "; " : "") + what);
	}

	/**
	 * The configurations a throughput table lists: those {@code run.sh} always measures
	 * there (n/a where they failed), and the {@code optional} ones where they were
	 * {@code measured} ({@code run.sh} measures them only with {@code ALL=1}).
	 */
	private static List<String> shown(Predicate<String> measured, String... optional) {
		List<String> onlyWhereMeasured = List.of(optional);
		return CONFIGS.stream()
			.filter((config) -> !onlyWhereMeasured.contains(config) || measured.test(config))
			.toList();
	}

	/**
	 * The configurations a memory table lists: all but conventional, and conventional
	 * where its scenarios ran ({@code run.sh} runs them only with {@code ALL=1}).
	 */
	private List<String> memoryConfigs() {
		return shown(
				(config) -> this.rows.keySet()
					.stream()
					.anyMatch((key) -> !key.startsWith("download-") && key.contains("-" + config + "-")),
				"conventional");
	}

	private static String withError(double[] value, int index, int errorIndex, String format) {
		if (value == null || Double.isNaN(value[index])) {
			return "n/a";
		}
		String score = String.format(Locale.ROOT, format, value[index]);
		return Double.isNaN(value[errorIndex]) ? score
				: score + " +- " + String.format(Locale.ROOT, format, value[errorIndex]);
	}

	private void target(String name, double[] ready, double[] stock, int index, double bound, boolean atLeast) {
		Double ratio = (ready == null || stock == null || Double.isNaN(ready[index]) || stock[index] == 0) ? null
				: ready[index] / stock[index];
		addTarget(name, ratio, bound, atLeast);
	}

	/**
	 * The 99.9% interval of the ratio ready / stock of the scores at {@code index}, from
	 * their 99.9% half-intervals at {@code errorIndex} by the first-order (delta method)
	 * propagation: the ratio's relative half-interval is the root of the sum of the
	 * squared relative half-intervals. {@code null} if either score or error is missing,
	 * for a score against itself, and where either side's half-interval is half its score
	 * or more, where that approximation no longer holds (three forks' CPU figures often
	 * are: their ratio then has no interval worth stating).
	 */
	static double @Nullable [] ratioInterval(double @Nullable [] ready, double @Nullable [] stock, int index,
			int errorIndex) {
		if (ready == null || stock == null || ready == stock || Double.isNaN(ready[index]) || Double.isNaN(stock[index])
				|| Double.isNaN(ready[errorIndex]) || Double.isNaN(stock[errorIndex]) || ready[index] == 0
				|| stock[index] == 0 || !(relative(ready, index, errorIndex) < MAX_RELATIVE)
				|| !(relative(stock, index, errorIndex) < MAX_RELATIVE)) {
			return null;
		}
		double ratio = ready[index] / stock[index];
		double relative = Math.hypot(ready[errorIndex] / ready[index], stock[errorIndex] / stock[index]);
		return new double[] { ratio * (1 - relative), ratio * (1 + relative) };
	}

	private static double relative(double[] value, int index, int errorIndex) {
		return Math.abs(value[errorIndex] / value[index]);
	}

	/**
	 * Adds to the target added last the ratio's 99.9% interval and whether the target's
	 * bound lies inside it (a tie this run cannot break) or outside (met or missed beyond
	 * the run's spread).
	 */
	private void interval(double @Nullable [] ready, double @Nullable [] stock, int index, int errorIndex,
			double bound) {
		double[] interval = ratioInterval(ready, stock, index, errorIndex);
		Map<String, Object> target = this.targets.get(this.targets.size() - 1);
		if (interval == null) {
			if (ready != null && stock != null && !Double.isNaN(ready[errorIndex])
					&& !Double.isNaN(stock[errorIndex])) {
				target.put("spread", String.format(Locale.ROOT,
						"no interval of the ratio: the 99.9%% half-intervals are %.0f%% (ready) and %.0f%% (stock) "
								+ "of the scores",
						100 * relative(ready, index, errorIndex), 100 * relative(stock, index, errorIndex)));
			}
			return;
		}
		target.put("interval", List.of(interval[0], interval[1]));
		boolean inside = interval[0] <= bound && bound <= interval[1];
		target.put("spread", String.format(Locale.ROOT, "%s the ratio's 99.9%% interval (%.3f-%.3f)",
				inside ? "bound inside" : "bound outside", interval[0], interval[1]));
	}

	/** Whether two sets of download repetitions have min-max ranges that do not meet. */
	private static @Nullable Boolean rangesApart(List<JsonObject> ready, List<JsonObject> stock) {
		if (ready.size() < 2 || stock.size() < 2) {
			return null;
		}
		double readyMin = value(ready.get(0), "mbPerSecond");
		double readyMax = value(ready.get(ready.size() - 1), "mbPerSecond");
		double stockMin = value(stock.get(0), "mbPerSecond");
		double stockMax = value(stock.get(stock.size() - 1), "mbPerSecond");
		return readyMax < stockMin || stockMax < readyMin;
	}

	/**
	 * Says, for the target added last, whether ready and stock are apart by more than the
	 * run's own spread ({@code what}): a throughput target missed inside the spread is a
	 * tie this run cannot break, one missed outside it is a loss.
	 */
	private void spread(@Nullable Boolean apart, String what) {
		if (apart != null) {
			this.targets.get(this.targets.size() - 1)
				.put("spread", apart ? "apart beyond the " + what : "inside the " + what);
		}
	}

	/**
	 * Adds ready / stock ops/s of each round of forks to the last target's spread, where
	 * both ran in the same rounds: how far apart two JVMs of the two stacks land in one
	 * spell of the machine.
	 */
	private void byRound(String method, String security) {
		double[] ready = this.jmhRounds.get(method + "-ready-" + security);
		double[] stock = this.jmhRounds.get(method + "-stock-" + security);
		if (ready == null || stock == null || ready.length != stock.length) {
			return;
		}
		// Rounds where both ran; a round where either fork failed is left out, not paired
		// with another round's.
		StringJoiner ratios = new StringJoiner(", ");
		int paired = 0;
		int oneSided = 0;
		for (int round = 0; round < ready.length; round++) {
			boolean readyRan = !Double.isNaN(ready[round]);
			boolean stockRan = !Double.isNaN(stock[round]);
			if (readyRan && stockRan) {
				ratios.add(ratio(ready[round] / stock[round]));
				paired++;
			}
			else if (readyRan || stockRan) {
				oneSided++;
			}
		}
		if (paired < 2) {
			return;
		}
		if (oneSided > 0) {
			ratios.add("(" + oneSided + ((oneSided == 1) ? " round" : " rounds")
					+ " with one side's fork missing or above the steal bound)");
		}
		addToSpread("by round " + ratios);
	}

	private void addTarget(String name, Double value, double bound, boolean atLeast) {
		Map<String, Object> target = new LinkedHashMap<>();
		target.put("target", name);
		target.put("value", (value != null) ? value : "n/a");
		target.put("met", (value != null) ? (Object) (atLeast ? value >= bound : value <= bound) : "n/a");
		this.targets.add(target);
	}

	private void idleTable() {
		this.md.append("## 3. Idle: connections after one RPC each (client and server in one JVM)\n\n");
		this.md.append("Here and in 4 to 5: ready, io_uring and stock, and conventional where it ran (`run.sh` runs "
				+ "its memory scenarios only with `ALL=1`).\n\n");
		this.md.append("| security | config | conns | client pinned B/conn | server pinned B/conn "
				+ "| client reserved B/conn | x stock | server reserved B/conn | RSS (both sides) |\n");
		this.md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
		for (String security : SECURITIES) {
			JsonObject stock = this.rows.get("idle-stock-" + security);
			for (String config : memoryConfigs()) {
				JsonObject row = this.rows.get("idle-" + config + "-" + security);
				this.md.append("| ").append(security).append(" | ").append(config).append(" | ");
				if (na(row)) {
					this.md.append("n/a | | | | | | |\n");
					continue;
				}
				this.md.append(row.get("count")).append(" | ");
				this.md.append(field(row, "clientPinnedPerConn")).append(" | ");
				this.md.append(field(row, "serverPinnedPerConn")).append(" | ");
				this.md.append(field(row, "clientReservedPerConn")).append(" | ");
				this.md.append(ratio(row, stock, "clientReservedPerConn")).append(" | ");
				this.md.append(field(row, "serverReservedPerConn")).append(" | ");
				this.md.append(mib(row, "rssBytesClientAndServer")).append(" |\n");
			}
			JsonObject ready = this.rows.get("idle-ready-" + security);
			addTarget("idle pinned 0 B/conn, client+server (" + security + ")",
					na(ready) ? null : value(ready, "clientPinnedPerConn") + value(ready, "serverPinnedPerConn"), 0,
					false);
		}
		this.md.append('\n');
	}

	private void stalledTable(String scenario, String title, String description) {
		this.md.append("## ").append(title).append(" (client JVM; stall server in its own JVM)\n\n");
		this.md.append(description)
			.append(" Read path: bytes our read path holds (ALTS records, HTTP/2 frames "
					+ "not yet whole); rest: what gRPC keeps of incomplete messages. Bytes a ready read leaves unread wait "
					+ "in the kernel: recv-Q is the bytes in the client sockets' receive queues (/proc/net/tcp); "
					+ "kernel TCP the machine's TCP socket memory grown per connection (/proc/net/sockstat: what "
					+ "the kernel charges, buffer overhead included; machine-wide, so noisy, even negative, below "
					+ "thousands of connections).\n\n");
		this.md.append("| security | config | conns | client pinned B/conn | x stock | read path B/conn | rest B/conn "
				+ "| recv-Q B/conn | pinned + recv-Q x stock | kernel TCP B/conn | client pool reserved "
				+ "| client RSS |\n");
		this.md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (String security : SECURITIES) {
			JsonObject stock = this.rows.get(scenario + "-stock-" + security);
			for (String config : memoryConfigs()) {
				JsonObject row = this.rows.get(scenario + "-" + config + "-" + security);
				this.md.append("| ").append(security).append(" | ").append(config).append(" | ");
				if (na(row)) {
					this.md.append("n/a | | | | | | | | | |\n");
					continue;
				}
				this.md.append(row.get("count")).append(" | ");
				this.md.append(field(row, "clientPinnedPerConn")).append(" | ");
				this.md.append(ratio(row, stock, "clientPinnedPerConn")).append(" | ");
				this.md.append(field(row, "clientReadPathPinnedPerConn")).append(" | ");
				this.md.append(field(row, "clientOtherPinnedPerConn")).append(" | ");
				this.md.append(field(row, "kernelReceiveQueuePerConn")).append(" | ");
				Double withQueue = pinnedWithQueueRatio(row, stock);
				this.md.append((withQueue != null) ? String.format(Locale.ROOT, "%.2f", withQueue) : "n/a")
					.append(" | ");
				this.md.append(field(row, "kernelTcpBytesPerConn")).append(" | ");
				this.md.append(mib(row, "clientReservedTotal")).append(" | ");
				this.md.append(mib(row, "clientRssBytes")).append(" |\n");
			}
			JsonObject ready = this.rows.get(scenario + "-ready-" + security);
			boolean epoll = !na(ready) && ready.get("transport").getAsString().startsWith("epoll");
			addTarget(scenario + " read-path pinned 0 on epoll (" + security + ")",
					epoll ? value(ready, "clientReadPathPinnedPerConn") : null, 0, false);
			addTarget(scenario + " all pinned <= 0.1x stock (" + security + ")",
					(na(ready) || na(stock) || value(stock, "clientPinnedPerConn") == 0) ? null
							: value(ready, "clientPinnedPerConn") / value(stock, "clientPinnedPerConn"),
					0.1, false);
			addTarget(scenario + " pinned + kernel recv-Q <= 0.1x stock, extra (" + security + ")",
					(na(ready) || na(stock)) ? null : pinnedWithQueueRatio(ready, stock), 0.1, false);
		}
		this.md.append('\n');
	}

	private void stalledMessagesTable() {
		this.md.append("## 4c. Stalled inside gRPC messages (client JVM; stall server in its own JVM)\n\n");
		this.md.append("Connections after one small echo, each then streamed messages of one size that stop inside a "
				+ "message, after at least 40,000 bytes of earlier messages: messages of 100, 1,000 or 3,000 B "
				+ "(several to a 16 KiB DATA frame) or of 10,000, 40,000 or 200,000 B (spanning frames), stopped "
				+ "5, 35, 65 or 95% of the way into the message, the combinations spread over the connections. "
				+ "Incomplete: bytes received of the message the stream stopped in; undelivered: bytes received of "
				+ "the messages the application has not got (that one, and those whose last bytes are in the DATA "
				+ "frame the stop cut short, which gRPC sees only once the frame is whole): what a read path that "
				+ "passes gRPC whole HTTP/2 frames must keep somewhere. Pinned leaves out io_uring's read buffer "
				+ "rings (the event loops', not the connections'). Read path, rest, recv-Q: as in 4.\n\n");
		this.md.append("| security | messages | config | conns | incomplete B/conn | undelivered B/conn "
				+ "| client pinned B/conn | pinned / undelivered | x stock | read path B/conn | rest B/conn "
				+ "| recv-Q B/conn | (pinned + recv-Q) / undelivered |\n");
		this.md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (String security : SECURITIES) {
			for (String[] group : new String[][] { { "small", "100-3,000 B" }, { "large", "10-200 KB" } }) {
				String scenario = "stalled-messages-" + group[0];
				JsonObject stock = this.rows.get(scenario + "-stock-" + security);
				for (String config : memoryConfigs()) {
					JsonObject row = this.rows.get(scenario + "-" + config + "-" + security);
					this.md.append("| ").append(security).append(" | ").append(group[1]).append(" | ");
					this.md.append(config).append(" | ");
					if (na(row)) {
						this.md.append("n/a | | | | | | | | | |\n");
						continue;
					}
					this.md.append(row.get("count")).append(" | ");
					this.md.append(field(row, "incompleteMessagePerConn")).append(" | ");
					this.md.append(field(row, "undeliveredPerConn")).append(" | ");
					this.md.append(field(row, "clientPinnedPerConn")).append(" | ");
					this.md.append(ratio(row, row, "clientPinnedPerConn", "undeliveredPerConn")).append(" | ");
					this.md.append(ratio(row, stock, "clientPinnedPerConn")).append(" | ");
					this.md.append(field(row, "clientReadPathPinnedPerConn")).append(" | ");
					this.md.append(field(row, "clientOtherPinnedPerConn")).append(" | ");
					this.md.append(field(row, "kernelReceiveQueuePerConn")).append(" | ");
					Double withQueue = pinnedWithQueueOverUndelivered(row);
					this.md.append((withQueue != null) ? String.format(Locale.ROOT, "%.2f", withQueue) : "n/a")
						.append(" |\n");
				}
				JsonObject ready = this.rows.get(scenario + "-ready-" + security);
				addTarget(scenario + " pinned + recv-Q <= 1.25x undelivered bytes (" + security + ")",
						pinnedWithQueueOverUndelivered(ready), 1.25, false);
			}
		}
		this.md.append('\n');
	}

	/**
	 * (pool pinned + bytes in the kernel's receive queues) over the undelivered bytes.
	 */
	private static Double pinnedWithQueueOverUndelivered(JsonObject row) {
		if (na(row)) {
			return null;
		}
		double kept = value(row, "clientPinnedPerConn") + value(row, "kernelReceiveQueuePerConn");
		double undelivered = value(row, "undeliveredPerConn");
		return (Double.isNaN(kept) || Double.isNaN(undelivered) || undelivered == 0) ? null : kept / undelivered;
	}

	/** {@code field} of {@code row} over {@code otherField} of {@code other}. */
	private static String ratio(JsonObject row, JsonObject other, String field, String otherField) {
		if (na(row) || na(other) || value(other, otherField) == 0 || Double.isNaN(value(row, field))) {
			return "n/a";
		}
		return ratio(value(row, field) / value(other, otherField));
	}

	/**
	 * (pool pinned + bytes waiting in the kernel's receive queues) of a row over stock's,
	 * or null where either is missing.
	 */
	private static Double pinnedWithQueueRatio(JsonObject row, JsonObject stock) {
		if (na(row) || na(stock)) {
			return null;
		}
		double mine = value(row, "clientPinnedPerConn") + value(row, "kernelReceiveQueuePerConn");
		double theirs = value(stock, "clientPinnedPerConn") + value(stock, "kernelReceiveQueuePerConn");
		return (Double.isNaN(mine) || Double.isNaN(theirs) || theirs == 0) ? null : mine / theirs;
	}

	private void downloadTable() {
		this.md.append("## 6. Download loop: one channel, 64 MiB per call (client and server in one JVM)\n\n");
		this.md.append("Each configuration's loop (conventional's only with `ALL=1`) runs several times (see "
				+ "`benchmarks/run.sh`), each in its own JVM, the repetitions going round the configurations. MB/s "
				+ "is the median of the repetitions (the mean of the middle two of an even number), with the lowest and highest next to it; x stock compares medians; the memory "
				+ "columns and the chart are the median repetition's (the lower middle one of an even number). CPU ms/MiB: CPU time of the whole process "
				+ "(client, server and the loop) per MiB downloaded while the loop is measured, the median over the "
				+ "repetitions; a download that keeps both cores busy runs at the speed its CPU per MiB allows, so "
				+ "this is the steadier figure, and where it is well under 2 cores' worth the loop also waits. Runs: "
				+ "the repetitions every figure of a row is made of, of those measured: as for the JMH forks, a "
				+ "repetition during which the hypervisor took more than " + (int) StealRule.BOUND_PERCENT
				+ " % of the machine's CPU time is left out, unless all were (`StealRule`).\n\n");
		this.md
			.append("| security | message | config | MB/s (median) | min-max | runs | x stock | CPU ms/MiB | x stock "
					+ "| client pinned mean | max | x stock (max) | client reserved max | x stock | RSS mean | RSS max |\n");
		this.md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		List<String> configs = shown(this::downloadMeasured, "conventional");
		for (String security : SECURITIES) {
			for (int size : new int[] { 1024 * 1024, 64 * 1024 }) {
				JsonObject stock = downloadRun("stock", security, size);
				double stockCpu = medianCpuPerMib("stock", security, size);
				for (String config : configs) {
					JsonObject run = downloadRun(config, security, size);
					this.md.append("| ").append(security).append(" | ").append(size / 1024).append(" KiB | ");
					this.md.append(config).append(" | ");
					if (run == null) {
						this.md.append("n/a | | | | | | | | | | | | |\n");
						continue;
					}
					List<JsonObject> runs = downloadRuns(config, security, size);
					double mb = medianMbPerSecond(config, security, size);
					this.md.append(String.format(Locale.ROOT, "%.1f", mb)).append(" | ");
					this.md.append(field(runs.get(0), "mbPerSecond"))
						.append("-")
						.append(field(runs.get(runs.size() - 1), "mbPerSecond"))
						.append(" | ");
					this.md.append(downloadKept(config, security, size).describe()).append(" | ");
					double stockMb = medianMbPerSecond("stock", security, size);
					this.md.append((Double.isNaN(stockMb) || stockMb == 0) ? "n/a" : ratio(mb / stockMb)).append(" | ");
					double cpu = medianCpuPerMib(config, security, size);
					this.md.append(Double.isNaN(cpu) ? "n/a" : String.format(Locale.ROOT, "%.3f", cpu)).append(" | ");
					this.md.append((Double.isNaN(cpu) || Double.isNaN(stockCpu) || stockCpu == 0) ? "n/a"
							: ratio(cpu / stockCpu))
						.append(" | ");
					this.md.append(mib(run, "clientPinnedMean")).append(" | ");
					this.md.append(mib(run, "clientPinnedMax")).append(" | ");
					this.md.append(ratio(run, stock, "clientPinnedMax")).append(" | ");
					this.md.append(mib(run, "clientReservedMax")).append(" | ");
					this.md.append(ratio(run, stock, "clientReservedMax")).append(" | ");
					this.md.append(mib(run, "rssMean")).append(" | ");
					this.md.append(mib(run, "rssMax")).append(" |\n");
				}
				JsonObject ready = downloadRun("ready", security, size);
				String where = " (" + security + ", " + size / 1024 + " KiB)";
				addTarget("download reserved <= 0.5x stock" + where, quotient(ready, stock, "clientReservedMax"), 0.5,
						false);
				addTarget("download pinned (max) <= stock" + where, quotient(ready, stock, "clientPinnedMax"), 1.0,
						false);
				addTarget("download pinned (mean) <= stock" + where, quotient(ready, stock, "clientPinnedMean"), 1.0,
						false);
				double readyMb = medianMbPerSecond("ready", security, size);
				double stockMb = medianMbPerSecond("stock", security, size);
				addTarget("download MB/s >= 1.0x stock" + where,
						(Double.isNaN(readyMb) || Double.isNaN(stockMb) || stockMb == 0) ? null : readyMb / stockMb,
						1.0, true);
				spread(rangesApart(downloadRuns("ready", security, size), downloadRuns("stock", security, size)),
						"min-max ranges");
			}
		}
		this.md
			.append("\nChart: `download-pinned.png` (client pinned bytes over time, one line per configuration).\n\n");
	}

	/**
	 * The median repetition of a download loop (the lower middle one of an even number),
	 * or {@code null} if none was measured.
	 */
	private JsonObject downloadRun(String config, String security, int size) {
		List<JsonObject> runs = downloadRuns(config, security, size);
		return runs.isEmpty() ? null : runs.get((runs.size() - 1) / 2);
	}

	/**
	 * The median of the repetitions' MB/s (the mean of the middle two of an even number,
	 * as when a repetition failed), or NaN if none was measured.
	 */
	private double medianMbPerSecond(String config, String security, int size) {
		return median(measured(config, security, size, "mbPerSecond"));
	}

	/** A field of a download loop's repetitions where they measured it, sorted. */
	private double[] measured(String config, String security, int size, String field) {
		return downloadRuns(config, security, size).stream()
			.mapToDouble((run) -> value(run, field))
			.filter((value) -> !Double.isNaN(value))
			.sorted()
			.toArray();
	}

	/** The median: the middle value, or the mean of the middle two; NaN if none. */
	static double median(double[] sorted) {
		if (sorted.length == 0) {
			return Double.NaN;
		}
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

	/**
	 * The median (the lower middle one of an even number) of the repetitions' CPU ms per
	 * MiB, or NaN if none measured it.
	 */
	private double medianCpuPerMib(String config, String security, int size) {
		double[] cpu = measured(config, security, size, "cpuMsPerMiB");
		return (cpu.length == 0) ? Double.NaN : cpu[(cpu.length - 1) / 2];
	}

	/**
	 * The repetitions of a download loop that were measured and that {@link StealRule}
	 * keeps, slowest first.
	 */
	private List<JsonObject> downloadRuns(String config, String security, int size) {
		return downloadKept(config, security, size).kept();
	}

	/** The repetitions of a download loop {@link StealRule} keeps, slowest first. */
	private StealRule.Kept<JsonObject> downloadKept(String config, String security, int size) {
		return StealRule.apply(allDownloadRuns(config, security, size), (run) -> value(run, "hostStealPercent"));
	}

	/**
	 * The repetitions of a download loop that were measured, slowest first: rows
	 * {@code download-r<n>-config-security} (or one {@code download-config-security}).
	 */
	private List<JsonObject> allDownloadRuns(String config, String security, int size) {
		List<JsonObject> runs = new ArrayList<>();
		String suffix = "-" + config + "-" + security;
		this.rows.forEach((name, row) -> {
			boolean download = name.equals("download" + suffix)
					|| (name.startsWith("download-r") && name.endsWith(suffix)
							&& name.substring("download-r".length(), name.length() - suffix.length()).matches("\\d+"));
			if (!download || na(row) || !row.has("runs")) {
				return;
			}
			for (JsonElement run : row.getAsJsonArray("runs")) {
				if (run.getAsJsonObject().get("messageSize").getAsInt() == size) {
					runs.add(run.getAsJsonObject());
				}
			}
		});
		runs.sort(Comparator.comparingDouble((run) -> value(run, "mbPerSecond")));
		return runs;
	}

	/** Whether {@code config}'s download loop ran, for any security and message size. */
	private boolean downloadMeasured(String config) {
		return SECURITIES.stream()
			.anyMatch((security) -> !downloadRuns(config, security, 1024 * 1024).isEmpty()
					|| !downloadRuns(config, security, 64 * 1024).isEmpty());
	}

	/** Median, min and max MB/s of every download loop, for results.json. */
	private Map<String, Object> downloadSummary() {
		Map<String, Object> summary = new LinkedHashMap<>();
		for (String security : SECURITIES) {
			for (int size : new int[] { 1024 * 1024, 64 * 1024 }) {
				for (String config : CONFIGS) {
					List<JsonObject> runs = downloadRuns(config, security, size);
					if (runs.isEmpty()) {
						continue;
					}
					Map<String, Object> figures = new LinkedHashMap<>();
					figures.put("mbPerSecondMedian", value(downloadRun(config, security, size), "mbPerSecond"));
					figures.put("mbPerSecondMin", value(runs.get(0), "mbPerSecond"));
					figures.put("mbPerSecondMax", value(runs.get(runs.size() - 1), "mbPerSecond"));
					figures.put("repetitions", runs.size());
					StealRule.Kept<JsonObject> kept = downloadKept(config, security, size);
					figures.put("repetitionsMeasured", kept.of());
					figures.put("everyRepetitionAboveStealBound", kept.allAbove());
					figures.put("cpuMsPerMiBMedian", orNa(medianCpuPerMib(config, security, size)));
					summary.put(config + "-" + security + "-" + size / 1024 + "KiB", figures);
				}
			}
		}
		return summary;
	}

	private void targetTable() {
		this.md.append("## Targets (computed from the figures above; ratios are ready / stock)\n\n");
		this.md.append("Spread: for the JMH ratios, the ratio's 99.9% interval (from both sides' 99.9% intervals, "
				+ "to first order) and whether the target's bound lies inside it (a tie this run cannot break) or "
				+ "outside (met or missed beyond the run's spread); for ops/s also ready / stock in each round of "
				+ "forks (one JMH invocation per configuration each, the two stacks' next to each other). For the "
				+ "downloads, whether the repetitions' min-max ranges of ready and stock meet.\n\n");
		this.md.append("| target | value | met | spread |\n|---|---:|---|---|\n");
		for (Map<String, Object> target : this.targets) {
			Object value = target.get("value");
			this.md.append("| ").append(target.get("target")).append(" | ");
			this.md.append((value instanceof Double d) ? String.format(Locale.ROOT, "%.3f", d) : value).append(" | ");
			this.md.append(target.get("met")).append(" | ");
			this.md.append(target.getOrDefault("spread", "")).append(" |\n");
		}
	}

	private void chart(Path dir, Map<String, Object> machine) throws IOException {
		List<String> panels = new ArrayList<>();
		Map<String, Map<String, List<long[]>>> series = new LinkedHashMap<>();
		for (String security : SECURITIES) {
			for (int size : new int[] { 1024 * 1024, 64 * 1024 }) {
				String panel = security + ", " + size / 1024 + " KiB messages";
				panels.add(panel);
				Map<String, List<long[]>> lines = new LinkedHashMap<>();
				for (String config : CONFIGS) {
					JsonObject run = downloadRun(config, security, size);
					if (run != null) {
						List<long[]> samples = new ArrayList<>();
						for (JsonElement sample : run.getAsJsonArray("samples")) {
							JsonArray s = sample.getAsJsonArray();
							samples.add(new long[] { s.get(0).getAsLong(), s.get(1).getAsLong() });
						}
						lines.put(config, samples);
					}
				}
				series.put(panel, lines);
			}
		}
		DownloadChart.write(dir.resolve("download-pinned.png"), panels, shown(this::downloadMeasured, "conventional"),
				series, machine.get("cpu") + ", " + machine.get("cores") + " cores, " + machine.get("kernel") + ", "
						+ machine.get("jdk"));
	}

	private static boolean na(JsonObject row) {
		return row == null || row.has("na");
	}

	/** A number of a JSON object, NaN where it is missing or null (or JMH's "NaN"). */
	static double value(JsonObject row, String field) {
		return (row.has(field) && !row.get(field).isJsonNull()) ? row.get(field).getAsDouble() : Double.NaN;
	}

	private static Double quotient(JsonObject row, JsonObject stock, String field) {
		if (row == null || stock == null || value(stock, field) == 0 || Double.isNaN(value(row, field))) {
			return null;
		}
		return value(row, field) / value(stock, field);
	}

	private static String field(JsonObject row, String field) {
		double value = value(row, field);
		return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.1f", value);
	}

	private static String mib(JsonObject row, String field) {
		double value = value(row, field);
		return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.2f MiB", value / 1048576);
	}

	private static String ratio(JsonObject row, JsonObject stock, String field) {
		Double quotient = quotient(row, stock, field);
		return (quotient != null) ? ratio(quotient) : "n/a";
	}

	private static Object orNa(double value) {
		return Double.isNaN(value) ? "n/a" : value;
	}

	private static String num(double[] value, int index) {
		return (value == null || Double.isNaN(value[index])) ? "n/a" : String.format(Locale.ROOT, "%.1f", value[index]);
	}

	private static String ratio(double[] value, double[] stock, int index) {
		if (value == null || stock == null || Double.isNaN(value[index]) || stock[index] == 0) {
			return "n/a";
		}
		return ratio(value[index] / stock[index]);
	}

	/** A ratio and the half-width of its 99.9% interval ({@link #ratioInterval}). */
	private static String ratioWithError(double[] value, double[] stock, int index, int errorIndex) {
		double[] interval = ratioInterval(value, stock, index, errorIndex);
		String ratio = ratio(value, stock, index);
		if (interval == null) {
			return ratio;
		}
		double half = (interval[1] - interval[0]) / 2;
		return ratio + " +- " + String.format(Locale.ROOT, (half < 0.005) ? "%.3f" : "%.2f", half);
	}

	/**
	 * Two decimals, three where two would round a ratio just under or over 1.00 to 1.00.
	 */
	static String ratio(double ratio) {
		return String.format(Locale.ROOT, (ratio != 1.0 && Math.abs(ratio - 1.0) < 0.005) ? "%.3f" : "%.2f", ratio);
	}

}
