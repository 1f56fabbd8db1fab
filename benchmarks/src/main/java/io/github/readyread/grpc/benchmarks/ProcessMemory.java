package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process, from {@code /proc/self/status}, and the CPU time it
 * has used.
 */
final class ProcessMemory {

	private ProcessMemory() {
	}

	/** VmRSS in bytes, or -1 where /proc is not available. */
	static long rssBytes() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
				if (line.startsWith("VmRSS:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// fall through
		}
		return -1;
	}

	/**
	 * CPU time this process has used, all its threads, user and system, in nanoseconds;
	 * -1 where the JVM cannot tell.
	 */
	static long cpuNanos() {
		OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
		if (os instanceof com.sun.management.OperatingSystemMXBean process) {
			return process.getProcessCpuTime();
		}
		return -1;
	}

}
