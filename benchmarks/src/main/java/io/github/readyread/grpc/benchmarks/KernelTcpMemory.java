package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory the kernel holds for TCP sockets, machine-wide, from {@code /proc/net/sockstat}
 * ({@code TCP: ... mem N}, in pages): where bytes a ready read leaves unread wait.
 */
final class KernelTcpMemory {

	private static final long PAGE_SIZE = 4096;

	private KernelTcpMemory() {
	}

	/** Kernel TCP memory in bytes, or -1 where /proc is not available. */
	static long bytes() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/net/sockstat"))) {
				if (line.startsWith("TCP:")) {
					String[] fields = line.trim().split("\\s+");
					for (int i = 1; i + 1 < fields.length; i++) {
						if (fields[i].equals("mem")) {
							return Long.parseLong(fields[i + 1]) * PAGE_SIZE;
						}
					}
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// fall through
		}
		return -1;
	}

}
