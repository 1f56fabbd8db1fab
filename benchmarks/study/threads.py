import json, sys, os, glob, math, statistics as st
# threads.py OUT [NAME]: per-thread-group CPU us/op (ThreadCpuProfiler) and ops/s of rounds.sh's
# runs in OUT (files NAME-ROUND.json), the mean of each variant's forks, and NAME (default: the
# first variant) against stock paired by round: geometric mean of the rounds' ratios with an
# interval of about 95 % (Student's t over the rounds; 2 + 0.36 stands in for it from 8 rounds on).
T = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45}
def load(f):
    r = json.load(open(f))[0]
    # the mean of the figures the profilers gave: JMH 1.37's score counts the fork's last
    # iteration, where they give none, as 0
    d = {k: st.mean(x for fork in v['rawData'] for x in fork) for k, v in r['secondaryMetrics'].items()
         if (k.startswith('thr.') or k == 'cpu.time.norm') and any(v['rawData'])}
    d['ops'] = r['primaryMetric']['score']
    if 'cpu.time.norm' in d:
        d['cpu.time.norm'] *= 1000  # ms/op to us/op, next to the threads
    return d
data = {}
for f in glob.glob(os.path.join(sys.argv[1], '*.json')):
    name, rnd = os.path.basename(f)[:-5].rsplit('-', 1)
    data[(name, int(rnd))] = load(f)
names = sorted({n for n, _ in data})
first = sys.argv[2] if len(sys.argv) > 2 else next(n for n in names if n != 'stock')
rounds = sorted({r for _, r in data if (first, r) in data and ('stock', r) in data})
keys = sorted({k for v in data.values() for k in v})
print(f"{'per op (us)':18s}" + ''.join(f'{n:>12s}' for n in names) + f'   {first} / stock, {len(rounds)} rounds')
for k in keys:
    means = [st.mean([v[k] for (name, _), v in data.items() if name == n and k in v] or [float('nan')]) for n in names]
    ratios = [data[(first, r)][k] / data[('stock', r)][k] for r in rounds
              if data[(first, r)].get(k, 0) > 0 and data[('stock', r)].get(k, 0) > 0]
    text = ''
    if len(ratios) > 1:
        logs = [math.log(x) for x in ratios]
        m, se = st.mean(logs), st.stdev(logs) / math.sqrt(len(logs))
        t = T.get(len(logs), 2.36)
        text = f'{math.exp(m):.3f} ({math.exp(m - t * se):.3f}-{math.exp(m + t * se):.3f})'
    print(f'{k:18s}' + ''.join(f'{x:12.2f}' for x in means) + '   ' + text)
