package io.github.readyread.grpc.benchmarks;

/**
 * Direct memory of one pool at one moment.
 *
 * @param reservedBytes bytes the pool holds from the system, handed out or not
 * @param pinnedBytes bytes handed out in buffers not yet released
 */
record PoolFigures(long reservedBytes, long pinnedBytes) {

}
