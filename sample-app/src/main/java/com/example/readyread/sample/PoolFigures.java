package com.example.readyread.sample;

import org.jspecify.annotations.Nullable;

/**
 * What the chart at {@code /} plots, as served by {@code /demo/pool}: the shared pool's
 * figures, the read path's share of them, and the demo workload.
 *
 * @param time when the figures were taken, epoch milliseconds
 * @param mode {@code ready-read} or {@code fallback}
 * @param fallbackReason why the mode is a fallback, or {@code null}
 * @param transport {@code epoll} or {@code nio}
 * @param readPath configured read path, {@code ready} or {@code conventional}
 * @param reservedDirectBytes direct bytes the pool holds from the system
 * @param pinnedDirectBytes direct bytes in buffers handed out and not released
 * @param reservedHeapBytes heap bytes the pool holds from the system
 * @param pinnedHeapBytes heap bytes in buffers handed out and not released
 * @param readPathPinnedBytes pool bytes the read path holds (read buffers in flight and
 * incomplete frames), summed over all channels and the server
 * @param incompleteBytes bytes of incomplete frames held by the read path
 * @param connections live gRPC connections, both sides counted
 * @param downloadBytesPerSecond download rate over the last second
 * @param downloadsCompleted downloads whose CRC-32 matched
 * @param downloadsFailed downloads that failed or did not match
 * @param idleConnections live connections of the idle channels (client ends)
 * @param stalledStreams streams waiting with an incomplete message
 * @param bufferpoolEndpoint whether {@code /actuator/bufferpool} exists in this build
 */
public record PoolFigures(long time, String mode, @Nullable String fallbackReason, String transport, String readPath,
		long reservedDirectBytes, long pinnedDirectBytes, long reservedHeapBytes, long pinnedHeapBytes,
		long readPathPinnedBytes, long incompleteBytes, long connections, long downloadBytesPerSecond,
		long downloadsCompleted, long downloadsFailed, long idleConnections, int stalledStreams,
		boolean bufferpoolEndpoint) {

}
