package io.github.readyread.grpc.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where bytes a ready read leaves unread wait: the kernel's socket receive queues.
 * <ul>
 * <li>{@link #receiveQueueBytes}: bytes waiting in the receive queues of this machine's
 * TCP sockets connected to a given port ({@code /proc/net/tcp} and {@code tcp6},
 * {@code rx_queue}): exactly the bytes left unread.</li>
 * <li>{@link #bytes}: the machine's TCP socket memory ({@code /proc/net/sockstat},
 * {@code TCP: ... mem N} pages): what the kernel charges for them, buffer overhead
 * included; machine-wide, so other sockets add noise.</li>
 * </ul>
 */
final class KernelTcpMemory {

	private static final long PAGE_SIZE = 4096;

	private KernelTcpMemory() {
	}

	/** The machine's TCP socket memory in bytes, or -1 where /proc is not available. */
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

	/**
	 * Bytes waiting in the receive queues of TCP sockets whose remote port is
	 * {@code remotePort}, or -1 where /proc is not available.
	 */
	static long receiveQueueBytes(int remotePort) {
		long total = 0;
		boolean found = false;
		for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			try {
				List<String> lines = Files.readAllLines(Path.of(file));
				found = true;
				for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
					String[] fields = line.trim().split("\\s+");
					if (fields.length < 5) {
						continue;
					}
					String remote = fields[2];
					int port = Integer.parseInt(remote.substring(remote.lastIndexOf(':') + 1), 16);
					if (port == remotePort) {
						String queues = fields[4];
						total += Long.parseLong(queues.substring(queues.indexOf(':') + 1), 16);
					}
				}
			}
			catch (IOException | RuntimeException ex) {
				// this file is not there: the other one may be
			}
		}
		return found ? total : -1;
	}

}
