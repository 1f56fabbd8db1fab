import json, sys
# table.py file.json... : one row per (file, config)
keys = [('task-clock','cpu ms'),('raw_syscalls:sys_enter','sys'),('syscalls:sys_enter_recvfrom','recv'),('syscalls:sys_enter_setsockopt','sso'),('syscalls:sys_enter_epoll_pwait2','epoll'),('syscalls:sys_enter_writev','writev'),('context-switches','cs')]
print(f"{'run':38s} {'cfg':6s} {'ops/s':>16s} " + ' '.join(f'{h:>7s}' for _,h in keys))
for f in sys.argv[1:]:
    rows = {}
    for r in json.load(open(f)):
        cfg = r['params']['config']; sec = r['params']['security']
        pm = r['primaryMetric']; sm = r['secondaryMetrics']
        vals = [sm.get(k, {}).get('score', float('nan')) for k,_ in keys]
        rows[cfg] = (pm['score'], float(pm['scoreError']), vals)
    for cfg,(s,e,v) in rows.items():
        print(f"{f.split('/')[-1][:-5]:38s} {cfg:6s} {s:9.0f} ±{e:6.0f} " + ' '.join(f'{x:7.3f}' if x < 10 else f'{x:7.1f}' for x in v))
    if 'ready' in rows and 'stock' in rows:
        a, b = rows['ready'], rows['stock']
        print(f"{'':38s} {'ratio':6s} {a[0]/b[0]:16.2f} " + ' '.join(f'{x/y:7.2f}' if y else '    n/a' for x,y in zip(a[2], b[2])))
