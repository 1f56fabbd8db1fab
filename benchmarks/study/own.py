import sys, collections, glob
# own.py DIR... : share of CPU samples spent in the core module's own frames, from profile.sh
# outputs. A sample counts as the core's own when its stack holds a frame of
# io.github.readyread.grpc (not the benchmark harness) and no frame after the last such one
# enters Netty's sockets or channels of a transport, or gRPC's HTTP/2 handler, which the read
# path calls (those are shared with gRPC's own read path, and cats.py gives them). Prints the
# share per profile, then the core's frames that hold the most of it (the leaf-most core frame).
EXCLUDE = ['ByteToMessageDecoder', 'Http2', 'Epoll', 'IoUring', 'Socket', 'Nio']
for d in sys.argv[1:]:
    csv = glob.glob(d + '/*/collapsed-cpu.csv')[0]
    total = own = 0
    frames = collections.Counter()
    for line in open(csv):
        stack, _, n = line.rstrip('\n').rpartition(' ')
        if not stack:
            continue
        n = int(n)
        total += n
        fr = stack.split(';')
        ours = [i for i, x in enumerate(fr) if 'io/github/readyread/grpc/' in x and '/benchmarks/' not in x]
        if ours and not any(e in x for x in fr[ours[-1] + 1:] for e in EXCLUDE):
            own += n
            frames[fr[ours[-1]].rsplit('/', 1)[-1]] += n
    print(f'{d}: {own} of {total} samples, {100 * own / total:.2f} %')
    for name, n in frames.most_common(8):
        print(f'  {100 * n / total:5.2f} %  {name}')
