#!/usr/bin/env bash
# benchmarks/study/profile.sh BENCH SECURITY CONFIG OUT [extra jmh args...]
# CPU profile of EchoBenchmark.BENCH for one configuration (async-profiler, 1 ms CPU samples,
# collapsed stacks), 1 fork, 10 x 2 s warm-up (the JIT is done by then), 5 x 2 s measured.
# INTERVAL: sampling interval in ns instead; APX: more async-profiler options, each ending in
# ';' (APX="threads=true;" splits the stacks by thread).
# Needs libasyncProfiler.so from Maven Central (tools.profiler:async-profiler:3.0, linux-x64/
# in the jar) at $AP_LIB. Then: python3 benchmarks/study/cats.py OUT... (CPU ms/op by category),
# python3 benchmarks/study/own.py OUT... (share of samples in the core module's own frames).
cd "$(dirname "$0")/../.."
CP="${BENCH_CLASSES:-benchmarks/target/classes}:$(cat benchmarks/target/classpath.txt)"
B=$1; S=$2; C=$3; OUT=$4; shift 4
mkdir -p "$OUT"
java -Xmx2g -XX:MaxDirectMemorySize=6g -Dio.netty.leakDetection.level=disabled -Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled -cp "$CP" org.openjdk.jmh.Main \
	"EchoBenchmark.$B\$" -p config="$C" -p security="$S" -f 1 -wi "${WI:-10}" -w 2s -i "${IT:-5}" -r 2s \
	-prof "async:libPath=${AP_LIB:?set AP_LIB to libasyncProfiler.so};output=collapsed;event=cpu;interval=${INTERVAL:-1000000};${APX:-}dir=$OUT" \
	-rf json -rff "$OUT/jmh.json" "$@" > "$OUT/log" 2>&1
grep -E '^EchoBenchmark' "$OUT/log" | head -1
