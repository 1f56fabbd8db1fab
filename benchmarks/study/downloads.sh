#!/usr/bin/env bash
# benchmarks/study/downloads.sh NAME|CLASSES_PREFIX|CONFIG|JVM_OPTS ...
# Same-time A/B of the download loop (MemoryHarness download), one JVM per variant, in turn, the
# first one moving each round, and perf stat over part of the 64 KiB phase: MB/s and CPU per MiB of
# both message sizes, and per MiB of the 64 KiB phase task-clock (ms), socket reads, sends, epoll
# waits and futex calls (THROUGHPUT-STUDY 29). CLASSES_PREFIX: a class path entry put first (a
# directory of core classes of another build, ending in ':'), or empty for this build.
# Environment: N (rounds, default 6), SEC (plaintext or alts, default alts), EV (perf events, default
# the five above), OUT (default /tmp/downloads). Each JVM warms up 5 s per message size and
# measures 8 s of each; perf attaches 21 s after the start, for 6 s, inside the 64 KiB phase on
# this machine.
# Study evidence only: the issue's measurement is run.sh.
set -u
cd "$(dirname "$0")/../.."
CPB="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
OUT=${OUT:-/tmp/downloads}
EV=${EV:-task-clock,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_futex}
mkdir -p "$OUT"
specs=("$@")
n=${#specs[@]}
for r in $(seq 1 "${N:-6}"); do
	for k in $(seq 0 $((n - 1))); do
		i=$(((k + r) % n))
		IFS='|' read -r name pre config opts <<<"${specs[$i]}"
		# shellcheck disable=SC2086 # opts is a list of JVM options
		java -Xmx2g -XX:MaxDirectMemorySize=6g -Dio.netty.leakDetection.level=disabled \
			-Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled -Dreadyread.download.warmupSeconds=5 $opts \
			-cp "$pre$CPB" io.github.readyread.grpc.benchmarks.MemoryHarness download "$config" "${SEC:-alts}" 8 \
			"$OUT/$name-$r.json" >"$OUT/$name-$r.log" 2>&1 &
		pid=$!
		sleep 21
		perf stat -x, -e "$EV" -p "$pid" -o "$OUT/$name-$r.perf" -- sleep 6
		wait "$pid"
		python3 - "$OUT/$name-$r" "$r" "$name" <<'PY'
import json, sys
base, r, name = sys.argv[1:]
runs = json.load(open(base + '.json'))['runs']
small = [x for x in runs if x['messageSize'] == 65536][0]
large = [x for x in runs if x['messageSize'] != 65536][0]
mib = small['mbPerSecond'] * 1e6 * 6 / 1048576
counts = []
for line in open(base + '.perf'):
    f = line.strip().split(',')
    if len(f) >= 3 and f[0].replace('.', '').isdigit():
        counts.append('%s %.1f' % (f[2].replace('syscalls:sys_enter_', ''), float(f[0]) / mib))
print('%s %s 64K %.0f MB/s %.3f ms/MiB | 1M %.0f MB/s %.3f | %s' % (r, name, small['mbPerSecond'],
      small['cpuMsPerMiB'], large['mbPerSecond'], large['cpuMsPerMiB'], ' '.join(counts)), flush=True)
PY
	done
done
