#!/usr/bin/env bash
# benchmarks/study/jmh.sh BENCH SECURITY FORKS OUT [extra jmh args...]
cd "$(dirname "$0")/../.."
CP="${BENCH_CLASSES:-benchmarks/target/classes}:$(cat benchmarks/target/classpath.txt)"
B=$1; S=$2; F=$3; OUT=$4; shift 4
mkdir -p "$(dirname "$OUT")"
EV="task-clock,raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_setsockopt,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_futex,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendmsg,syscalls:sys_enter_eventfd2,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_timerfd_settime,context-switches"
java -Xmx2g -Dio.netty.leakDetection.level=disabled -Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled -cp "$CP" org.openjdk.jmh.Main "EchoBenchmark.$B\$" -p config=${CONFIGS:-ready,stock} -p security=$S -f $F -wi ${WI:-4} -w 2s -i ${IT:-5} -r 2s -prof "perfnorm:events=$EV" -rf json -rff "$OUT.json" "$@" > "$OUT.log" 2>&1
grep -E '^EchoBenchmark' "$OUT.log" | grep -v -E 'poolBytes|·(L1|LLC|branch|cycles|instructions|dTLB|iTLB)' 
