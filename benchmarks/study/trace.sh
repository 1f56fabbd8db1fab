#!/usr/bin/env bash
# benchmarks/study/trace.sh BENCH SECURITY CONFIG OUT
# System calls and scheduler events of one EchoBenchmark fork, for benchmarks/study/chain.py:
# one fork, 8 x 2 s warm-up, 4 x 2 s measured; 24 s after the start (inside the measured
# iterations) `perf record` follows the forked JVM for 1 s (raw_syscalls:sys_enter and sys_exit,
# sched:sched_switch and sched_waking; these software events work on this machine). Tracing
# slows every system call and switch, so the echo rate under it is lower than JMH reports for
# the untraced iterations; compare stacks traced the same way. Writes OUT.json (JMH), OUT.log,
# OUT.data (perf) and OUT.txt (perf script). Study evidence only, not the issue's measurement.
set -u
cd "$(dirname "$0")/../.."
CP="${BENCH_CLASSES:-benchmarks/target/classes}:$(cat benchmarks/target/classpath.txt)"
B=$1; S=$2; C=$3; OUT=$4
mkdir -p "$(dirname "$OUT")"
java -Xmx2g -Dio.netty.leakDetection.level=disabled -Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled \
	-cp "$CP" org.openjdk.jmh.Main "EchoBenchmark.$B\$" -p config="$C" -p security="$S" -f 1 -wi 8 -w 2s -i 4 -r 2s \
	-rf json -rff "$OUT.json" > "$OUT.log" 2>&1 &
jmh=$!
sleep 24
fork=$(pgrep -f ForkedMain | head -1)
perf record -m 16384 -e raw_syscalls:sys_enter,raw_syscalls:sys_exit,sched:sched_switch,sched:sched_waking \
	-p "$fork" -o "$OUT.data" -- sleep 1 2> "$OUT.perf.log"
wait "$jmh"
perf script -i "$OUT.data" -F comm,tid,cpu,time,event,trace > "$OUT.txt" 2>/dev/null
grep -E '^EchoBenchmark' "$OUT.log" | grep -v poolBytes | head -1
