#!/usr/bin/env bash
# Runs every benchmark side by side: ready (epoll), conventional (NIO fallback) and stock
# grpc-java (grpc-netty-shaded + grpc-alts), plaintext and ALTS, in one run, then writes
#   benchmarks/results/results.json   machine-readable figures, with the machine they ran on
#   benchmarks/results/results.md     tables of absolute figures and ratios against stock
#   benchmarks/results/download-pinned.png   pinned bytes over time in the download loop
# Usage: benchmarks/run.sh            (about 10 minutes on 2 cores)
#        QUICK=1 benchmarks/run.sh    (a smoke run with tiny counts; figures not meaningful)
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -B -q -pl benchmarks -am package -DskipTests -Dinvoker.skip=true
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
OUT=benchmarks/results
rm -rf "$OUT/rows" "$OUT/jmh.json"
mkdir -p "$OUT/rows"
ulimit -n "$(ulimit -Hn)" || true

if [ "${QUICK:-0}" = "1" ]; then
	IDLE=50; STALLED=20; SCALE=200; DOWNLOAD_SECONDS=2; JMH="-f 1 -wi 1 -w 1s -i 1 -r 1s"
else
	IDLE=1000; STALLED=200; SCALE=10000; DOWNLOAD_SECONDS=8; JMH="-f 1 -wi 1 -w 3s -i 2 -r 3s"
fi
JAVA=(java -Xmx2g -XX:MaxDirectMemorySize=6g -Dio.netty.leakDetection.level=disabled -cp "$CP")

echo "== 1-2. JMH: LargeMessage and read/write, -prof gc"
"${JAVA[@]}" org.openjdk.jmh.Main EchoBenchmark $JMH -prof gc -rf json -rff "$OUT/jmh.json"

# A scenario that hangs (stock grpc-alts opening 10,000 connections, say) is cut after 5
# minutes and reported n/a.
harness() {
	timeout 300 "${JAVA[@]}" io.github.readyread.grpc.benchmarks.MemoryHarness "$1" "$2" "$3" "$4" \
		"$OUT/rows/$1-$2-$3.json" || echo "$1 $2 $3: timed out or failed (reported n/a)"
}
for security in plaintext alts; do
	for config in ready conventional stock; do
		echo "== 3. idle, $config, $security"; harness idle "$config" "$security" "$IDLE"
		echo "== 4. stalled, $config, $security"; harness stalled "$config" "$security" "$STALLED"
		echo "== 5. scale, $config, $security"; harness scale "$config" "$security" "$SCALE"
	done
done
for config in ready conventional stock; do
	echo "== 6. download loop, $config, alts"; harness download "$config" alts "$DOWNLOAD_SECONDS"
done

"${JAVA[@]}" -Djava.awt.headless=true io.github.readyread.grpc.benchmarks.Report "$OUT"
echo "Wrote $OUT/results.md, $OUT/results.json and $OUT/download-pinned.png"
