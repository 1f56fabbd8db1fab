package io.github.readyread.grpc.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.google.gson.GsonBuilder;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;

/**
 * The memory scenarios, one configuration per JVM so that each RSS figure is that
 * configuration's own. Writes one JSON row.
 *
 * <p>
 * Arguments: {@code idle|stalled|download config security counts outputs}, where a count
 * is connections or, for download, seconds per message size. {@code stalled} takes
 * several counts and as many output files, comma-separated, and measures every stalled
 * row with one stall server and one client:
 * <ul>
 * <li>first count, scenario 4b: connections after one small RPC, an answer stopped
 * {@value #FRESH_FORWARDED_BYTES} bytes in, inside its second 16 KiB frame, so gRPC also
 * keeps the first frame of the incomplete message (closed once measured);</li>
 * <li>next counts, scenarios 4 and 5: connections that have carried traffic (a
 * {@value #WARM_DOWNLOAD_BYTES}-byte download each, so stock read buffers have grown to
 * their 64 KiB maximum), then an answer stopped {@value #WARM_FORWARDED_BYTES} bytes into
 * its first frame, a few KiB of real bytes waiting; measured as they reach each
 * count.</li>
 * </ul>
 * {@code stalled-messages} (scenario 4c) takes two counts and two output files:
 * connections whose answer, a stream of messages of one size, stops at an offset inside a
 * message (the sizes and offsets vary from connection to connection), first with small
 * messages ({@link #SMALL_MESSAGES}, several to a 16 KiB DATA frame), then, those closed,
 * with large ones ({@link #LARGE_MESSAGES}, spanning frames).
 */
public final class MemoryHarness {

	/**
	 * Connections opened at once. Stock grpc-alts shares 32 handshake permits between the
	 * client and the server of one process and stalls when a process opens many more
	 * connections to itself at once (the idle scenario runs both sides in one process).
	 */
	private static final int IN_FLIGHT = 16;

	private static final int WARM_UP_BYTES = 100;

	private static final int WARM_DOWNLOAD_BYTES = 128 * 1024;

	private static final int WARM_DOWNLOAD_MESSAGE = 64 * 1024;

	private static final int WARM_FORWARDED_BYTES = 4096;

	private static final int FRESH_FORWARDED_BYTES = 20000;

	private static final int DOWNLOAD_BYTES = 64 * 1024 * 1024;

	private static final int[] DOWNLOAD_MESSAGE_SIZES = { 1024 * 1024, 64 * 1024 };

	/** Message sizes of scenario 4c's first row: several messages to a DATA frame. */
	static final int[] SMALL_MESSAGES = { 100, 1000, 3000 };

	/** Message sizes of scenario 4c's second row: messages spanning DATA frames. */
	static final int[] LARGE_MESSAGES = { 10_000, 40_000, 200_000 };

	/**
	 * Where in its message a 4c answer stops, as a share of the message (prefix
	 * included).
	 */
	private static final double[] STOP_INSIDE_MESSAGE = { 0.05, 0.35, 0.65, 0.95 };

	/**
	 * Message-stream bytes a 4c answer carries, at least, before the message it stops in:
	 * a few DATA frames, so gRPC has had whole frames of messages.
	 */
	private static final int BYTES_BEFORE_STOP = 40_000;

	private static final int GRPC_PREFIX = 5;

	private static final long SAMPLE_MILLIS = 20;

	/** System property: the download loop's warm-up per message size, seconds. */
	static final String WARM_UP_SECONDS_PROPERTY = "readyread.download.warmupSeconds";

	private MemoryHarness() {
	}

	public static void main(String[] args) throws Exception {
		String scenario = args[0];
		Config config = Config.valueOf(args[1].toUpperCase(Locale.ROOT));
		Security security = Security.valueOf(args[2].toUpperCase(Locale.ROOT));
		int[] counts = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
		String[] outputs = args[4].split(",");
		if (counts.length != outputs.length) {
			throw new IllegalArgumentException("One output file per count");
		}
		List<Map<String, Object>> rows = new ArrayList<>();
		for (int count : counts) {
			Map<String, Object> row = new LinkedHashMap<>();
			row.put("scenario", scenario);
			row.put("config", config.id());
			row.put("security", security.id());
			row.put("count", count);
			rows.add(row);
		}
		OurAlts.Handshaker handshaker = null;
		try {
			if (security == Security.ALTS) {
				handshaker = OurAlts.startHandshaker();
			}
			String target = (handshaker != null) ? handshaker.target() : null;
			switch (scenario) {
				case "idle" -> idle(config, security, target, counts[0], rows.get(0));
				case "stalled" ->
					stalled(config, security, target, counts[0], Arrays.copyOfRange(counts, 1, counts.length), rows);
				case "stalled-messages" -> stalledMessages(config, security, target, counts, rows);
				case "download" -> download(config, security, target, counts[0], rows.get(0));
				default -> throw new IllegalArgumentException("Unknown scenario " + scenario);
			}
		}
		catch (Exception ex) {
			for (Map<String, Object> row : rows) {
				if (!row.containsKey("clientPinnedPerConn") && !row.containsKey("runs")) {
					row.put("na", ex.getClass().getSimpleName() + ": " + ex.getMessage());
				}
			}
		}
		finally {
			if (handshaker != null) {
				handshaker.close();
			}
		}
		for (int i = 0; i < outputs.length; i++) {
			Path output = Path.of(outputs[i]);
			Map<String, Object> row = rows.get(i);
			Files.createDirectories(output.toAbsolutePath().getParent());
			Files.writeString(output, new GsonBuilder().setPrettyPrinting().create().toJson(row));
			System.out.println(scenario + " " + config.id() + " " + security.id() + " " + counts[i] + ": "
					+ (row.containsKey("na") ? "n/a (" + row.get("na") + ")" : "done"));
		}
		System.exit(0);
	}

	/** Scenario 3: connections after one RPC each; the server runs in this process. */
	private static void idle(Config config, Security security, String handshaker, int connections,
			Map<String, Object> row) throws Exception {
		try (Rig rig = Rig.create(config, security, handshaker)) {
			InetSocketAddress address = rig.startServer(EchoService.definition());
			// Both pools settled before and after: a buffer out for a moment when the
			// figures before were read came back later as -65,536 B (run 25, io_uring
			// ALTS, whose rig has one pool for both sides).
			LongSupplier serverPinned = () -> rig.serverPool().pinnedBytes();
			settle(rig, serverPinned);
			PoolFigures clientBefore = rig.clientPool();
			PoolFigures serverBefore = rig.serverPool();
			connectAndWarmUp(rig, address, connections, 0, "c");
			settle(rig, serverPinned);
			PoolFigures client = rig.clientPool();
			PoolFigures server = rig.serverPool();
			row.put("transport", rig.transportName());
			row.put("clientPinnedPerConn", perConn(client.pinnedBytes() - clientBefore.pinnedBytes(), connections));
			row.put("clientReservedPerConn",
					perConn(client.reservedBytes() - clientBefore.reservedBytes(), connections));
			row.put("serverPinnedPerConn", perConn(server.pinnedBytes() - serverBefore.pinnedBytes(), connections));
			row.put("serverReservedPerConn",
					perConn(server.reservedBytes() - serverBefore.reservedBytes(), connections));
			row.put("clientReadPathPinned", rig.clientReadPathPinned());
			row.put("rssBytesClientAndServer", ProcessMemory.rssBytes());
		}
	}

	/**
	 * Scenarios 4b, 4 and 5, one stall server (a child JVM, so this process is the client
	 * side only) and one client for all three. First {@code fresh} connections after one
	 * small echo, answers stopped {@value #FRESH_FORWARDED_BYTES} bytes in (4b); they are
	 * closed. Then connections that carried a {@value #WARM_DOWNLOAD_BYTES}-byte
	 * download, answers stopped {@value #WARM_FORWARDED_BYTES} bytes in, added up to each
	 * checkpoint in turn (those of earlier checkpoints stay stalled) and measured there
	 * (4 and 5).
	 * @param fresh connections of the first phase
	 * @param checkpoints increasing connection counts of the second phase
	 * @param rows the first phase's row, then one row per checkpoint, filled in
	 */
	private static void stalled(Config config, Security security, String handshaker, int fresh, int[] checkpoints,
			List<Map<String, Object>> rows) throws Exception {
		Process server = startStallServer(security, handshaker);
		try (Rig rig = Rig.create(config, security, handshaker)) {
			int port = readPort(server);
			InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
			long start = System.nanoTime();
			Baseline baseline = Baseline.take(rig);
			List<ManagedChannel> freshChannels = connectAndWarmUp(rig, address, fresh, 0, "fresh");
			hold(freshChannels, FRESH_FORWARDED_BYTES);
			measureStalled(rig, baseline, fresh, port, 0, FRESH_FORWARDED_BYTES, start, rows.get(0));
			for (ManagedChannel channel : freshChannels) {
				channel.shutdownNow();
			}
			for (ManagedChannel channel : freshChannels) {
				channel.awaitTermination(10, TimeUnit.SECONDS);
			}
			baseline = Baseline.take(rig);
			int open = 0;
			for (int i = 0; i < checkpoints.length; i++) {
				List<ManagedChannel> channels = connectAndWarmUp(rig, address, checkpoints[i] - open,
						WARM_DOWNLOAD_BYTES, "warm" + i + "-");
				open = checkpoints[i];
				hold(channels, WARM_FORWARDED_BYTES);
				measureStalled(rig, baseline, open, port, WARM_DOWNLOAD_BYTES, WARM_FORWARDED_BYTES, start,
						rows.get(i + 1));
			}
		}
		finally {
			server.getOutputStream().close();
			if (!server.waitFor(20, TimeUnit.SECONDS)) {
				server.destroyForcibly();
			}
		}
	}

	/**
	 * Scenario 4c, one stall server and one client: for each of the two rows,
	 * {@code counts[row]} connections after one small echo, each then asking for a stream
	 * of messages of one size that stops inside one of them; measured, then closed.
	 * Connection {@code i} of a row takes the row's size {@code i % 3} and stops
	 * {@code STOP_INSIDE_MESSAGE[(i / 3) % 4]} of the way into the first message that
	 * starts after {@value #BYTES_BEFORE_STOP} bytes.
	 */
	private static void stalledMessages(Config config, Security security, String handshaker, int[] counts,
			List<Map<String, Object>> rows) throws Exception {
		Process server = startStallServer(security, handshaker);
		try (Rig rig = Rig.create(config, security, handshaker)) {
			int port = readPort(server);
			InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
			long start = System.nanoTime();
			int[][] sizes = { SMALL_MESSAGES, LARGE_MESSAGES };
			for (int row = 0; row < counts.length; row++) {
				Baseline baseline = Baseline.take(rig);
				List<ManagedChannel> channels = connectAndWarmUp(rig, address, counts[row], 0, "messages" + row + "-");
				long[] delivered = new long[channels.size()];
				long[] forwarded = new long[channels.size()];
				long[] incomplete = new long[channels.size()];
				for (int i = 0; i < channels.size(); i++) {
					int size = sizes[row][i % sizes[row].length];
					int framed = size + GRPC_PREFIX;
					int before = (BYTES_BEFORE_STOP + framed - 1) / framed;
					int inside = Math.max(1,
							(int) (STOP_INSIDE_MESSAGE[(i / 3) % STOP_INSIDE_MESSAGE.length] * framed));
					forwarded[i] = (long) before * framed + inside;
					incomplete[i] = inside;
					holdStream(channels.get(i), size, (int) forwarded[i], before + 2, delivered, i);
				}
				measureStalled(rig, baseline, channels.size(), port, 0, 0, start, rows.get(row));
				Map<String, Object> figures = rows.get(row);
				long undelivered = 0;
				for (int i = 0; i < channels.size(); i++) {
					int framed = sizes[row][i % sizes[row].length] + GRPC_PREFIX;
					synchronized (delivered) {
						undelivered += forwarded[i] - delivered[i] * framed;
					}
				}
				figures.remove("answerBytes");
				figures.remove("forwardedBytes");
				figures.remove("warmDownloadBytes");
				figures.put("messageSizes", Arrays.stream(sizes[row]).boxed().toList());
				figures.put("stopInsideMessage", Arrays.stream(STOP_INSIDE_MESSAGE).boxed().toList());
				figures.put("incompleteMessagePerConn", perConn(Arrays.stream(incomplete).sum(), channels.size()));
				figures.put("undeliveredPerConn", perConn(undelivered, channels.size()));
				for (ManagedChannel channel : channels) {
					channel.shutdownNow();
				}
				for (ManagedChannel channel : channels) {
					channel.awaitTermination(10, TimeUnit.SECONDS);
				}
			}
		}
		finally {
			server.getOutputStream().close();
			if (!server.waitFor(20, TimeUnit.SECONDS)) {
				server.destroyForcibly();
			}
		}
	}

	/**
	 * Starts a {@code HoldStream} call of {@code count} messages of {@code size} on
	 * {@code channel}, stopped {@code forwarded} message-stream bytes in; counts the
	 * messages delivered in {@code delivered[index]}.
	 */
	private static void holdStream(ManagedChannel channel, int size, int forwarded, int count, long[] delivered,
			int index) {
		ClientCalls.asyncServerStreamingCall(channel.newCall(EchoService.HOLD_STREAM, CallOptions.DEFAULT),
				EchoService.holdStreamRequest(size, forwarded, count), new StreamObserver<>() {
					@Override
					public void onNext(byte[] value) {
						synchronized (delivered) {
							delivered[index]++;
						}
					}

					@Override
					public void onError(Throwable ex) {
					}

					@Override
					public void onCompleted() {
					}
				});
	}

	/** Client figures before a stalled phase. */
	private record Baseline(PoolFigures pool, long readPath, long kernel, long rss) {

		/**
		 * The client's figures once its pool has settled, so that no buffer out for a
		 * moment is subtracted from what the phase measures.
		 */
		static Baseline take(Rig rig) throws InterruptedException {
			settle(rig);
			return new Baseline(rig.clientPool(), rig.clientReadPathPinned(), KernelTcpMemory.bytes(),
					ProcessMemory.rssBytes());
		}

	}

	/** Starts a {@code Hold} call on each channel, stopped {@code forwardedBytes} in. */
	private static void hold(List<ManagedChannel> channels, int forwardedBytes) {
		for (ManagedChannel channel : channels) {
			ClientCalls.asyncServerStreamingCall(channel.newCall(EchoService.HOLD, CallOptions.DEFAULT),
					EchoService.holdRequest(StallServer.ANSWER_BYTES, forwardedBytes), new StreamObserver<>() {
						@Override
						public void onNext(byte[] value) {
						}

						@Override
						public void onError(Throwable ex) {
						}

						@Override
						public void onCompleted() {
						}
					});
		}
	}

	private static void measureStalled(Rig rig, Baseline baseline, int connections, int serverPort,
			int warmDownloadBytes, int forwardedBytes, long start, Map<String, Object> row)
			throws InterruptedException {
		settle(rig, () -> KernelTcpMemory.receiveQueueBytes(serverPort));
		PoolFigures after = rig.clientPool();
		long pinned = after.pinnedBytes() - baseline.pool().pinnedBytes();
		long readPath = rig.clientReadPathPinned();
		readPath = (readPath < 0) ? -1 : readPath - baseline.readPath();
		long kernel = KernelTcpMemory.bytes() - baseline.kernel();
		long queued = KernelTcpMemory.receiveQueueBytes(serverPort);
		row.put("transport", rig.transportName());
		row.put("answerBytes", StallServer.ANSWER_BYTES);
		row.put("forwardedBytes", forwardedBytes);
		row.put("warmDownloadBytes", warmDownloadBytes);
		row.put("clientPinnedTotal", pinned);
		row.put("clientPinnedPerConn", perConn(pinned, connections));
		row.put("clientReadPathPinnedPerConn", (readPath < 0) ? null : perConn(readPath, connections));
		row.put("clientOtherPinnedPerConn", (readPath < 0) ? null : perConn(pinned - readPath, connections));
		row.put("clientReservedTotal", after.reservedBytes());
		row.put("clientRssBytes", ProcessMemory.rssBytes());
		row.put("clientRssBeforeConnectBytes", baseline.rss());
		row.put("kernelReceiveQueuePerConn", (queued < 0) ? null : perConn(queued, connections));
		row.put("kernelTcpBytesPerConn", (baseline.kernel() < 0) ? null : perConn(kernel, connections));
		row.put("secondsToMeasure", (System.nanoTime() - start) / 1e9);
	}

	private static Process startStallServer(Security security, String handshaker) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-Xmx1g");
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(StallServer.class.getName());
		command.add(security.id());
		command.add((handshaker != null) ? handshaker : "-");
		return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
	}

	private static int readPort(Process server) throws IOException, InterruptedException {
		BufferedReader reader = new BufferedReader(
				new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
		for (String line = reader.readLine(); line != null; line = reader.readLine()) {
			if (line.startsWith("PORT ")) {
				return Integer.parseInt(line.substring(5).trim());
			}
		}
		throw new IllegalStateException("Stall server exited with " + server.waitFor());
	}

	/**
	 * Scenario 6: one channel downloading 64 MiB in a loop, for {@code seconds} per
	 * message size, sampled every {@value #SAMPLE_MILLIS} ms, after a warm-up of as many
	 * seconds per message size, or of the system property
	 * {@value #WARM_UP_SECONDS_PROPERTY} where set.
	 */
	private static void download(Config config, Security security, String handshaker, int seconds,
			Map<String, Object> row) throws Exception {
		try (Rig rig = Rig.create(config, security, handshaker)) {
			InetSocketAddress address = rig.startServer(EchoService.definition());
			ManagedChannel channel = rig.newChannel("download", address);
			row.put("transport", rig.transportName());
			row.put("payloadBytes", DOWNLOAD_BYTES);
			// Warm up first (the JIT takes about half of both cores for the first
			// seconds,
			// more of it for the configuration with more code to compile): the loop
			// measures steady-state throughput, as JMH's warm-up iterations do.
			int warmUpSeconds = Integer.getInteger(WARM_UP_SECONDS_PROPERTY, seconds);
			for (int messageSize : DOWNLOAD_MESSAGE_SIZES) {
				downloadLoop(rig, channel, messageSize, warmUpSeconds);
			}
			row.put("warmupSecondsPerMessageSize", warmUpSeconds);
			List<Map<String, Object>> runs = new ArrayList<>();
			for (int messageSize : DOWNLOAD_MESSAGE_SIZES) {
				runs.add(downloadLoop(rig, channel, messageSize, seconds));
			}
			row.put("runs", runs);
		}
	}

	private static Map<String, Object> downloadLoop(Rig rig, ManagedChannel channel, int messageSize, int seconds)
			throws Exception {
		List<long[]> samples = new ArrayList<>();
		long start = System.nanoTime();
		Thread sampler = new Thread(() -> {
			while (!Thread.currentThread().isInterrupted()) {
				PoolFigures client = rig.clientPool();
				PoolFigures server = rig.serverPool();
				synchronized (samples) {
					samples.add(new long[] { (System.nanoTime() - start) / 1_000_000, client.pinnedBytes(),
							client.reservedBytes(), server.pinnedBytes(), server.reservedBytes(),
							ProcessMemory.rssBytes() });
				}
				try {
					Thread.sleep(SAMPLE_MILLIS);
				}
				catch (InterruptedException ex) {
					return;
				}
			}
		}, "sampler");
		sampler.setDaemon(true);
		sampler.start();
		long cpuStart = ProcessMemory.cpuNanos();
		long[] machineStart = HostStealProfiler.machineCpuTimes();
		long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
		long bytes = 0;
		int downloads = 0;
		do {
			Iterator<byte[]> answer = ClientCalls.blockingServerStreamingCall(channel, EchoService.DOWNLOAD,
					CallOptions.DEFAULT, EchoService.downloadRequest(messageSize, DOWNLOAD_BYTES));
			while (answer.hasNext()) {
				bytes += answer.next().length;
			}
			downloads++;
		}
		while (System.nanoTime() < deadline);
		double elapsed = (System.nanoTime() - start) / 1e9;
		long cpuEnd = ProcessMemory.cpuNanos();
		long[] machineEnd = HostStealProfiler.machineCpuTimes();
		sampler.interrupt();
		sampler.join();
		Map<String, Object> run = new LinkedHashMap<>();
		run.put("messageSize", messageSize);
		run.put("downloads", downloads);
		run.put("bytes", bytes);
		run.put("seconds", elapsed);
		run.put("mbPerSecond", bytes / 1e6 / elapsed);
		// The whole process: client, server, this loop and the sampler (the same
		// sampler in every configuration).
		if (cpuStart >= 0 && cpuEnd >= 0) {
			run.put("cpuMsPerMiB", (cpuEnd - cpuStart) / 1e6 / (bytes / (1024.0 * 1024.0)));
		}
		// The share of the machine's CPU time the hypervisor took meanwhile (StealRule).
		double steal = (machineStart != null && machineEnd != null)
				? HostStealProfiler.stealPercent(machineStart, machineEnd) : Double.NaN;
		if (!Double.isNaN(steal)) {
			run.put("hostStealPercent", steal);
		}
		run.put("clientPinnedMean", mean(samples, 1));
		run.put("clientPinnedMax", max(samples, 1));
		run.put("clientReservedMax", max(samples, 2));
		run.put("serverPinnedMax", max(samples, 3));
		run.put("serverReservedMax", max(samples, 4));
		run.put("rssMean", mean(samples, 5));
		run.put("rssMax", max(samples, 5));
		run.put("sampleColumns", List.of("millis", "clientPinned", "clientReserved", "serverPinned", "serverReserved",
				"rssClientAndServer"));
		run.put("samples", samples);
		return run;
	}

	private static double mean(List<long[]> samples, int column) {
		return samples.stream().mapToLong((s) -> s[column]).average().orElse(Double.NaN);
	}

	private static long max(List<long[]> samples, int column) {
		return samples.stream().mapToLong((s) -> s[column]).max().orElse(-1);
	}

	/**
	 * Opens {@code connections} channels and makes one RPC on each: a small echo, or a
	 * download of {@code downloadBytes} when that is positive.
	 */
	private static List<ManagedChannel> connectAndWarmUp(Rig rig, InetSocketAddress address, int connections,
			int downloadBytes, String namePrefix) throws Exception {
		List<ManagedChannel> channels = new ArrayList<>(connections);
		Semaphore inFlight = new Semaphore(IN_FLIGHT);
		List<CompletableFuture<byte[]>> calls = new ArrayList<>(connections);
		byte[] request = EchoService.message(WARM_UP_BYTES);
		for (int i = 0; i < connections; i++) {
			ManagedChannel channel = rig.newChannel(namePrefix + i, address);
			channels.add(channel);
			inFlight.acquire();
			CompletableFuture<byte[]> call = new CompletableFuture<>();
			StreamObserver<byte[]> observer = new StreamObserver<>() {
				@Override
				public void onNext(byte[] value) {
				}

				@Override
				public void onError(Throwable ex) {
					inFlight.release();
					call.completeExceptionally(ex);
				}

				@Override
				public void onCompleted() {
					inFlight.release();
					call.complete(request);
				}
			};
			if (downloadBytes > 0) {
				ClientCalls.asyncServerStreamingCall(channel.newCall(EchoService.DOWNLOAD, CallOptions.DEFAULT),
						EchoService.downloadRequest(WARM_DOWNLOAD_MESSAGE, downloadBytes), observer);
			}
			else {
				ClientCalls.asyncUnaryCall(channel.newCall(EchoService.ECHO, CallOptions.DEFAULT), request, observer);
			}
			calls.add(call);
		}
		CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
		return channels;
	}

	/**
	 * Waits until the client's pinned bytes have not changed for 600 ms (at most 30 s),
	 * so that measurements see the connections at rest.
	 */
	private static void settle(Rig rig) throws InterruptedException {
		settle(rig, () -> 0L);
	}

	/**
	 * As {@link #settle(Rig)}, also waiting for {@code more} (bytes a ready read leaves
	 * in the kernel, which the pool does not see arrive, or the server pool's pinned
	 * bytes) to stop changing.
	 */
	private static void settle(Rig rig, LongSupplier more) throws InterruptedException {
		long last = Long.MIN_VALUE;
		int stable = 0;
		for (int i = 0; i < 150 && stable < 3; i++) {
			Thread.sleep(200);
			long pinned = rig.clientPool().pinnedBytes() + rig.clientReadPathPinned() + more.getAsLong();
			stable = (pinned == last) ? stable + 1 : 0;
			last = pinned;
		}
	}

	private static double perConn(long bytes, int connections) {
		return (double) bytes / connections;
	}

}
