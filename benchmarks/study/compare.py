import json, sys
# compare.py before.json after.json: ready/stock ratios from the same JMH run, before and after
def load(f):
    out = {}
    for r in json.load(open(f)):
        p = r['params']; pm = r['primaryMetric']; sm = r['secondaryMetrics']
        def m(name):
            x = sm.get(name, {})
            e = x.get('scoreError', float('nan'))
            return x.get('score', float('nan')), (e if isinstance(e, float) else float('nan'))
        out[(r['benchmark'].split('.')[-1], p['security'], p['config'])] = (
            (pm['score'], pm['scoreError']), m('task-clock'), m('raw_syscalls:sys_enter'),
            m('syscalls:sys_enter_recvfrom')[0], m('syscalls:sys_enter_setsockopt')[0], m('syscalls:sys_enter_epoll_pwait2')[0])
    return out
runs = [(f.split('/')[-1][:-5], load(f)) for f in sys.argv[1:]]
print('| benchmark | security | run | ready ops/s | stock ops/s | ratio | CPU ms/op ready / stock | syscalls/op ready / stock | recvfrom | setsockopt | epoll_pwait2 |')
print('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
for bench in ('largeMessage', 'readWrite'):
    for sec in ('plaintext', 'alts'):
        for name, d in runs:
            r = d.get((bench, sec, 'ready')); s = d.get((bench, sec, 'stock'))
            if not r or not s: continue
            fmt = (lambda v: f'{v:.3f}') if bench == 'readWrite' else (lambda v: f'{v:.2f}')
            print(f'| {bench} | {sec} | {name} | {r[0][0]:,.0f} +- {r[0][1]:,.0f} | {s[0][0]:,.0f} +- {s[0][1]:,.0f} | {r[0][0]/s[0][0]:.2f} '
                  f'| {fmt(r[1][0])} / {fmt(s[1][0])} ({r[1][0]/s[1][0]:.2f}x) | {r[2][0]:.1f} / {s[2][0]:.1f} ({r[2][0]/s[2][0]:.2f}x) '
                  f'| {r[3]:.1f} / {s[3]:.1f} | {r[4]:.1f} / {s[4]:.1f} | {r[5]:.1f} / {s[5]:.1f} |')
