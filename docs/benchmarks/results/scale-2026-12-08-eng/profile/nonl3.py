import re,sys,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
L3=('LocalLruL3Model','L3PageIo','VirtualTimeL3Port','LazyPageKeys','KeySpan','L3Store','jdk.internal.foreign','JfrEngineEvents','jdk.jfr','StorageController','L3Batch','PageKeyTable','EmbeddedL3')
c=collections.Counter(); tot=0; l3=0
for e in evs[1:]:
    if 'sampledThread = "main"' not in e: continue
    fr=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(.*?line: (\d+)',e,re.M)
    if not fr: continue
    tot+=1
    # attribute to first frame not in JDK: walk up until a dev.hicache frame
    own=[f for f in fr if f[0].startswith('dev.hicache')]
    if any(k in fr[0][0] for k in L3) or (own and any(k in own[0][0] for k in L3)): l3+=1; continue
    top=own[0][0].split('.')[-2]+'.'+own[0][0].split('.')[-1] if own else fr[0][0]
    c[top]+=1
print('total',tot,'l3-ish',l3)
for k,v in c.most_common(45): print(f"{v:5d} {100*v/tot:5.1f}% {k}")
