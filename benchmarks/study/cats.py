import sys, collections, json, glob
# cats.py DIR... : CPU ms/op (and share of all samples) by category, from profile.sh outputs.
# A stack goes to the first rule with a frame that contains one of its strings; rules are
# ordered so that system calls and crypto win over the handlers that called them. The
# profiled iterations are 2 s each, samples 1 ms of CPU: ms/op = samples / operations.
RULES=[
 ('jit', ['CompileBroker']),
 ('gc', ['GCTaskThread','G1','ConcurrentGCThread','WorkerThread::run']),
 ('crypto (AES-GCM incl. init)', ['libconscrypt','Cipher.doFinal','Cipher.init','AesGcm','initCipher','Mac.']),
 ('recv syscall', ['Socket.recvAddress','Socket.readAddress','Socket.recv']),
 ('writev/write syscall', ['writevAddresses','writeAddress','Socket.write','sendAddress']),
 ('epoll wait', ['epollWait','epollBusyWait']),
 ('grpc deframer+app', ['MessageDeframer','ServerCallImpl','ClientCallImpl','ServerImpl$','SerializingExecutor']),
 ('http2 frame reader', ['DefaultHttp2FrameReader','DefaultHttp2ConnectionDecoder']),
 ('aligner/partial copies', ['Http2FrameAligner','PartialFrame','FrameDecoder.completeHeld']),
 ('cumulation', ['ByteToMessageDecoder$1.cumulate','ByteToMessageDecoder$2.cumulate','expandCumulation']),
 ('ALTS read other', ['AltsRecordDecoder','TsiFrameHandler.decode']),
 ('ALTS write other', ['AltsRecordEncoder','TsiFrameHandler.flush','protectFlush']),
 ('read other', ['epollInReady']),
 ('write other (grpc/netty)', ['WriteQueue','AbstractEpollStreamChannel$1.run','flush0']),
 ('event loop other', ['runAllTasks','SingleThreadIoEventLoop.run','EpollIoHandler']),
 ('jmh thread', ['EchoBenchmark','jmh']),
 ('other', ['']),
]
def load(d):
    csv=glob.glob(d+'/*/collapsed-cpu.csv')[0]
    j=json.load(open(d+'/jmh.json'))[0]
    ops=j['primaryMetric']['score']*len(j['primaryMetric']['rawData'][0])*2
    c=collections.Counter()
    for line in open(csv):
        stack,_,n=line.rstrip('\n').rpartition(' ')
        if not stack: continue
        n=int(n)
        for name,subs in RULES:
            if any(s in stack for s in subs):
                c[name]+=n; break
    return c,ops
ds=sys.argv[1:]
data=[load(d) for d in ds]
print(f"{'category':32s} "+' '.join(f'{d[-22:]:>22s}' for d in ds))
for name,_ in RULES:
    print(f'{name:32s} '+' '.join(f'{c[name]/ops:13.3f} ({100*c[name]/sum(c.values()):4.1f}%)' for c,ops in data))
print(f"{'total (excl jit, gc)':32s} "+' '.join(f'{(sum(c.values())-c["jit"]-c["gc"])/ops:13.3f}        ' for c,ops in data))
