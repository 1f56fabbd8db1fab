#!/usr/bin/env bash
# Runs the benchmarks side by side: ready (epoll), io_uring (ready, buffer rings), conventional (NIO with the
# conventional read path; only with ALL=1) and stock grpc-java (grpc-netty-shaded + grpc-alts), plaintext and ALTS, in one run,
# then writes
#   benchmarks/results/results.json   machine-readable figures, with the machine they ran on
#   benchmarks/results/results.md     tables of absolute figures and ratios against stock
#   benchmarks/results/download-pinned.png   pinned bytes over time in the download loop
#   README.md                         results.md copied between its two markers
# Usage: benchmarks/run.sh            (about 23 minutes on 2 cores; results.md says how long)
#        ALL=1 benchmarks/run.sh      (conventional everywhere and io_uring's echoes too: about 15 minutes more)
#        QUICK=1 benchmarks/run.sh    (a smoke run with tiny counts; figures not meaningful, written to
#                                      benchmarks/target/quick-results)
# Every scenario runs ready and stock; io_uring runs in all but JMH, and conventional (the escape
# hatch: NIO with the conventional read path) in none: both run everywhere only with ALL=1, which
# keeps the whole run inside 25 minutes on a loaded 2-core machine (run 19, with conventional's
# memory scenarios and 20 s of JMH warm-up: 25 min 42 s).
# JMH runs 3 forks of each throughput configuration, one JMH invocation per round of forks (one
# round with QUICK=1), and reports ops/s with error bars and CPU/op and syscalls/op next to it, from perf
# through JMH's perfnorm profiler (task-clock, raw_syscalls:sys_enter); where perf cannot read
# them (no perf events, a container without tracepoints) those columns are n/a.
# The download loop (6) runs 3 times per throughput configuration (io_uring once unless ALL=1; all
# once with QUICK=1), each in its own JVM, round the configurations; the report gives the median MB/s
# with the min-max of the repetitions.
# Each repetition warms up for 5 s per message size before it measures 3 s of each (THROUGHPUT-STUDY 26:
# after 3 s, the ready path's JIT was not done, as in the JMH forks of section 23).
# Both go round with ready next to stock, which of them goes first alternating, so a slow spell
# of a shared machine falls on both rather than on one configuration's forks or repetitions.
# A JMH fork or a download repetition during which the hypervisor took more than 10 % of the
# machine's CPU time (host steal, /proc/stat) is left out of its configuration's figures, the same
# rule for every configuration (StealRule; all are kept where all are above it); the tables say
# how many each row kept.
set -euo pipefail
# The whole script is one block, read before it runs: editing it during a run is safe.
{
cd "$(dirname "$0")/.."
SECONDS=0

./mvnw -B -q -pl benchmarks -am package -DskipTests -Dinvoker.skip=true
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
# A smoke run writes apart, leaving the committed results (and the README's table) alone.
if [ "${QUICK:-0}" = "1" ]; then OUT=benchmarks/target/quick-results; else OUT=benchmarks/results; fi
rm -rf "$OUT/rows" "$OUT"/jmh*.json
mkdir -p "$OUT/rows"
ulimit -n "$(ulimit -Hn)" || true

if [ "${QUICK:-0}" = "1" ]; then
	IDLE=50; STALLED=20; MESSAGES=20; SCALE=200; DOWNLOAD_SECONDS=1; DOWNLOAD_WARMUP=1; DOWNLOAD_REPS=1; FORKS=1
	JMH="-wi 1 -w 1s -i 2 -r 1s"
else
	# MESSAGES: connections per 4c row, 5 for each of its 12 size and offset combinations
	# DOWNLOAD_REPS: download loops per configuration, each in its own JVM; the report shows their median
	# FORKS: JMH forks per configuration, one JMH invocation each
	# DOWNLOAD_SECONDS, DOWNLOAD_WARMUP: each download repetition's measured and warm-up seconds per message size
	IDLE=1000; STALLED=200; MESSAGES=60; SCALE=10000; DOWNLOAD_SECONDS=3; DOWNLOAD_WARMUP=5; DOWNLOAD_REPS=3; FORKS=3
	# 20 s of warm-up: on a quiet machine the JIT compiles for 10-14 s after a fork starts, the
	# ready path's later than stock's (THROUGHPUT-STUDY 23); with one core taken by other work,
	# for 16-18 s in both, when its threads still spend 130-200 us per 16 KiB echo at 12-16 s,
	# what an earlier 12 s warm-up measured (section 24). 3 measured iterations: a fork's
	# iterations move together, its forks apart.
	JMH="-wi 10 -w 2s -i 3 -r 2s"
fi
# ProcessCpuProfiler: the process's CPU time per op, one figure per measurement iteration but each fork's last;
# HostStealProfiler: the machine's CPU time the hypervisor took in those iterations (THROUGHPUT-STUDY 24)
PROFILERS=(-prof gc -prof io.github.readyread.grpc.benchmarks.ProcessCpuProfiler
	-prof io.github.readyread.grpc.benchmarks.HostStealProfiler)
PERF_EVENTS="task-clock,raw_syscalls:sys_enter"
if command -v perf >/dev/null && perf stat -e "$PERF_EVENTS" true >/dev/null 2>&1; then
	PROFILERS+=(-prof "perfnorm:events=$PERF_EVENTS")
else
	echo "perf cannot count $PERF_EVENTS here: CPU/op and syscalls/op will be n/a"
fi
# Leak detection off for both copies of Netty: grpc-netty-shaded relocates the property name too
# (every rig refuses to start when the two levels differ: LeakDetection).
JAVA=(java -Xmx2g -XX:MaxDirectMemorySize=6g -Dio.netty.leakDetection.level=disabled
	-Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled
	-Dreadyread.download.warmupSeconds="$DOWNLOAD_WARMUP" -cp "$CP")

step() {
	echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"
}

# rounds N [jmh]: the throughput configurations in round N's order (ready and stock together, first
# in turn); with jmh, JMH's: io_uring only with ALL=1 (its 12 forks take about 6 minutes, which a
# 25-minute run with 20 s of warm-up per fork does not have).
rounds() {
	local order
	if (($1 % 2 == 1)); then order="ready stock io_uring conventional"; else order="stock ready conventional io_uring"; fi
	if [ "${ALL:-0}" != "1" ]; then
		order=${order/ conventional/}
		if [ "${2:-}" = "jmh" ]; then order=${order/ io_uring/}; fi
		# io_uring (opt-in, no target of its own) downloads once, which keeps the run inside 25 minutes
		if [ "${2:-}" = "download" ] && (($1 > 1)); then order=${order/ io_uring/}; fi
	fi
	echo "$order"
}
# FORKS rounds; in each, one JMH invocation per configuration, in the order `rounds` gives, each
# running one fork of each benchmark and security (1 MiB plaintext, 1 MiB ALTS, 16 KiB plaintext,
# 16 KiB ALTS): every fork but an invocation's first follows the same fork of its own configuration
# in every round (the fork before moves a 16 KiB echo fork's rate by up to a third,
# docs/THROUGHPUT-STUDY.md section 30). The report pools the forks' iterations
# (jmh-ROUND-PART.json) as JMH pools the forks of one invocation, and gives each round's ratio.
for fork in $(seq 1 "$FORKS"); do
	part=0
	for config in $(rounds "$fork" jmh); do
		part=$((part + 1))
		step "1-2. JMH round $fork of $FORKS, $config: LargeMessage and read/write, $JMH, ${PROFILERS[*]}"
		"${JAVA[@]}" org.openjdk.jmh.Main EchoBenchmark -f 1 $JMH -p "config=$config" "${PROFILERS[@]}" \
			-rf json -rff "$OUT/jmh-$fork-$part.json"
	done
done

# harness SCENARIO CONFIG SECURITY COUNTS ROW-NAMES: one JVM; a scenario that hangs is cut
# after 4 minutes and its rows are reported n/a.
harness() {
	local outputs=""
	for name in ${5//,/ }; do
		outputs="$outputs${outputs:+,}$OUT/rows/$name-$2-$3.json"
	done
	timeout 240 "${JAVA[@]}" io.github.readyread.grpc.benchmarks.MemoryHarness "$1" "$2" "$3" "$4" "$outputs" \
		|| echo "$1 $2 $3: timed out or failed (reported n/a)"
}
if [ "${ALL:-0}" = "1" ]; then MEMORY_CONFIGS="ready io_uring conventional stock"; else MEMORY_CONFIGS="ready io_uring stock"; fi
for security in plaintext alts; do
	for config in $MEMORY_CONFIGS; do
		step "3. idle, $config, $security"
		harness idle "$config" "$security" "$IDLE" idle
		step "4b, 4 and 5. stalled: $STALLED fresh, then $STALLED and $SCALE after traffic, $config, $security"
		harness stalled "$config" "$security" "$STALLED,$STALLED,$SCALE" stalled-fresh,stalled,scale
		step "4c. stalled inside messages: $MESSAGES small, then $MESSAGES large, $config, $security"
		harness stalled-messages "$config" "$security" "$MESSAGES,$MESSAGES" \
			stalled-messages-small,stalled-messages-large
	done
done
# Repetitions go round the configurations, so a slow spell of a shared machine falls on all of them.
for security in plaintext alts; do
	for rep in $(seq 1 "$DOWNLOAD_REPS"); do
		for config in $(rounds "$rep" download); do
			step "6. download loop, $config, $security, repetition $rep of $DOWNLOAD_REPS"
			harness download "$config" "$security" "$DOWNLOAD_SECONDS" "download-r$rep"
		done
	done
done

step "report"
"${JAVA[@]}" -Djava.awt.headless=true io.github.readyread.grpc.benchmarks.Report "$OUT" "$SECONDS"
# The README shows results.md as it is, between its two markers (headings one level down).
if [ "${QUICK:-0}" != "1" ]; then
	awk -v results="$OUT/results.md" '
		/^<!-- results.md begin/ { print; while ((getline line < results) > 0) {
			if (line ~ /^# /) continue; sub(/^## /, "### ", line); print line }; skip = 1; next }
		/^<!-- results.md end/ { skip = 0 }
		!skip { print }' README.md > README.md.new && mv README.md.new README.md
fi
echo "Wrote $OUT/results.md, $OUT/results.json, $OUT/download-pinned.png and README.md's table in $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit 0
}
