"""chain.py OUT.txt... : what one unary echo costs in wake-ups, from benchmarks/study/trace.sh.

The benchmark thread (the JMH worker, named after the benchmark class) calls a blocking stub;
the client's event loop is the thread that wakes it most; the server's event loop is the other
event loop thread that sends and receives large writes. Per echo (one large send by the client's
event loop, i.e. one request): the client's and the server's sends and receives by size, the
benchmark thread's eventfd writes (each a task handed to the client's event loop: request(n),
the flush of the request, the flush of the half-close), the client event loop's epoll returns,
and who preempted whom on a shared CPU. A 33-byte client send on ALTS is an empty DATA frame
with END_STREAM (24 bytes of record overhead, a 9-byte HTTP/2 header): the half-close flushed
on its own after the request, which wakes the server a second time.
"""
import collections
import re
import sys

LINE = re.compile(r'\s*(.{15}) (\d+) \[(\d+)\] ([\d.]+):\s+(\S+): (.*)')
SENDTO, RECVFROM, WRITE, EPOLL_PWAIT2 = '44', '45', '1', '441'


def load(path):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            events.append((int(m.group(2)), m.group(1).strip(), m.group(5), m.group(6)))
    return events


def chain(path):
    events = load(path)
    bench = collections.Counter(tid for tid, comm, _, _ in events if comm.startswith('io.github')).most_common(1)[0][0]
    wakers = collections.Counter(tid for tid, _, event, rest in events
                                 if event == 'sched:sched_waking' and f'pid={bench} ' in rest)
    client = wakers.most_common(1)[0][0]
    counts = collections.Counter()
    for tid, comm, event, rest in events:
        fields = rest.split()
        if event == 'raw_syscalls:sys_exit' and fields[1] in (SENDTO, RECVFROM) and comm.startswith('grpc'):
            size = int(fields[-1])
            side = 'client' if tid == client else 'server'
            kind = 'send' if fields[1] == SENDTO else 'recv'
            counts[f'{side} {kind} ' + ('>10000 B' if size > 10000 else f'{size} B')] += 1
        elif event == 'raw_syscalls:sys_enter' and tid == bench and fields[1] == WRITE:
            counts['benchmark thread eventfd writes'] += 1
        elif event == 'raw_syscalls:sys_exit' and tid == client and fields[1] == EPOLL_PWAIT2:
            counts['client event loop epoll returns'] += 1
        elif event == 'sched:sched_switch':
            m = re.search(r'prev_pid=(\d+) .*prev_state=(\S+) ==> .*next_pid=(\d+)', rest)
            prev, state, nxt = int(m.group(1)), m.group(2), int(m.group(3))
            if state.startswith('R') and prev == client and nxt == bench:
                counts['client event loop preempted by benchmark thread'] += 1
            if state.startswith('R') and prev == bench and nxt == client:
                counts['benchmark thread preempted by client event loop'] += 1
    echoes = counts['client send >10000 B']
    return echoes, {k: v / echoes for k, v in counts.items() if v / echoes >= 0.03}


if __name__ == '__main__':
    results = [(path, *chain(path)) for path in sys.argv[1:]]
    keys = sorted({k for _, _, r in results for k in r})
    print(f"{'per echo':52s}" + ''.join(f'{path[-16:]:>17s}' for path, _, _ in results))
    print(f"{'echoes traced':52s}" + ''.join(f'{n:17d}' for _, n, _ in results))
    for k in keys:
        print(f'{k:52s}' + ''.join(f'{r.get(k, 0):17.2f}' for _, _, r in results))
