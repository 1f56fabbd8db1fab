#!/usr/bin/env bash
# benchmarks/study/rounds.sh NAME|CORE_CLASSES|CONFIG|JVM_OPTS ...
# Same-time A/B of EchoBenchmark: single forks, configurations alternated round by round (the
# first one moves each round), so a slow spell of a shared machine falls on all of them.
# Each spec names a variant, a directory of core classes put first on the class path (a
# throw-away build of core/target/classes, or core/target/classes itself for main), the
# EchoBenchmark config (ready, stock, epoll_conventional, ...) and extra JVM options (system
# properties for throw-away switches; JMH forks inherit them). Environment: OUT (directory for
# each run's JSON and log), N (rounds), SEC (plaintext or alts), B (benchmark, e.g.
# EchoBenchmark.largeMessage), BENCH_CLASSES (benchmark classes, default
# benchmarks/target/classes), WI and IT (warm-up and measured 2 s iterations, default 3 and 4,
# as in jmh.sh; run.sh now warms up for 6), JMHX (more JMH arguments, e.g. "-prof ThreadCpuProfiler",
# see ThreadCpuProfiler.java). Prints table.py's row for each run as it ends (its file, NAME-ROUND, names it):
# ops/s with JMH's error, CPU ms/op (task-clock) and system calls per op.
# Study evidence only: single forks are not the issue's measurement (that is run.sh).
set -u
cd "$(dirname "$0")/../.."
CPBASE="$(cat benchmarks/target/classpath.txt)"
BC=${BENCH_CLASSES:-benchmarks/target/classes}
mkdir -p "$OUT"
specs=("$@")
n=${#specs[@]}
for r in $(seq 1 "$N"); do
	for k in $(seq 0 $((n - 1))); do
		i=$(((k + r) % n))
		IFS='|' read -r name cls config opts <<<"${specs[$i]}"
		# shellcheck disable=SC2086 # opts is a list of JVM options
		java -Xmx2g -XX:MaxDirectMemorySize=6g -Dio.netty.leakDetection.level=disabled \
			-Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled $opts -cp "$BC:$cls:$CPBASE" \
			org.openjdk.jmh.Main "$B" -f 1 -wi "${WI:-3}" -w 2s -i "${IT:-4}" -r 2s -p "config=$config" \
			-p "security=$SEC" -prof "perfnorm:events=task-clock,raw_syscalls:sys_enter" ${JMHX:-} \
			-rf json -rff "$OUT/$name-$r.json" >"$OUT/$name-$r.log" 2>&1
		python3 benchmarks/study/table.py "$OUT/$name-$r.json" | tail -n +2
	done
done
