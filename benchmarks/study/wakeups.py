"""wakeups.py OUT.txt... : who wakes whom in one EchoBenchmark fork, from benchmarks/study/trace.sh.

Per echo (one large send of the client's event loop): every sched_waking among the benchmark
thread, the client's event loop (the thread that wakes the benchmark thread most) and the
server's event loop (the other thread that sends large writes), by waker and wakee, whether the
wakee's CPU is the waker's ("same") or the other one ("cross"), and whether that CPU was idle at
the time; with the median time from sched_waking to the sched_switch that runs the wakee.
Study evidence only (THROUGHPUT-STUDY section 24).
"""
import collections
import re
import statistics
import sys

LINE = re.compile(r'\s*(.{15}) (\d+) \[(\d+)\] ([\d.]+):\s+(\S+): (.*)')
WRITEV = '20'


def load(path):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            events.append((float(m.group(4)), int(m.group(2)), m.group(1).strip(), m.group(5), m.group(6),
                           int(m.group(3))))
    return events


def wakeups(path):
    events = load(path)
    bench = collections.Counter(tid for _, tid, comm, *_ in events if comm.startswith('io.github')).most_common(1)[0][0]
    client = collections.Counter(tid for _, tid, _, event, rest, _ in events
                                 if event == 'sched:sched_waking' and f'pid={bench} ' in rest).most_common(1)[0][0]
    sends = collections.Counter(tid for _, tid, _, event, rest, _ in events
                                if event == 'raw_syscalls:sys_exit' and rest.split()[1] == WRITEV
                                and int(rest.split()[-1]) > 16000)
    server = [tid for tid, _ in sends.most_common() if tid != client][0]
    echoes = sends[client]
    name = {bench: 'bench', client: 'client loop', server: 'server loop'}
    pending, running = {}, {}
    counts, latency = collections.Counter(), collections.defaultdict(list)
    for time, tid, _, event, rest, cpu in events:
        if event == 'sched:sched_switch':
            pid = int(re.search(r'next_pid=(\d+)', rest).group(1))
            running[cpu] = pid
            if pid in pending:
                start, key = pending.pop(pid)
                latency[key].append(time - start)
        elif event == 'sched:sched_waking':
            m = re.search(r'pid=(\d+) .*target_cpu=(\d+)', rest)
            pid, target = int(m.group(1)), int(m.group(2))
            key = (name.get(tid, 'other'), name.get(pid, 'other'), 'same' if target == cpu else 'cross',
                   'idle' if running.get(target) == 0 else 'busy')
            counts[key] += 1
            pending[pid] = (time, key)
    return echoes, counts, latency


for path in sys.argv[1:]:
    echoes, counts, latency = wakeups(path)
    print(f'{path}: {echoes} echoes')
    for key, count in counts.most_common():
        if count / echoes >= 0.02 and key[0] != 'other' and key[1] != 'other':
            median = statistics.median(latency[key]) * 1e6 if latency[key] else float('nan')
            print(f'  {key[0]:>11} -> {key[1]:<11} {key[2]:>5} CPU, {key[3]}: {count / echoes:.2f} per echo, '
                  f'waking to running {median:.0f} us (median)')
