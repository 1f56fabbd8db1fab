/**
 * The benchmarks: JMH round trips and the memory harness that {@code run.sh} drives. A
 * measuring harness, left out of the null checks.
 */
package io.github.readyread.grpc.benchmarks;
