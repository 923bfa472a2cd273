import re,sys,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
selfc=collections.Counter(); incl=collections.Counter(); thr=collections.Counter()
for e in evs[1:]:
    m=re.search(r'sampledThread = "([^"]*)"',e)
    t=m.group(1) if m else '?'
    thr[t]+=1
    if len(sys.argv)>2 and sys.argv[2] not in t: continue
    frames=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(',e,re.M)
    if not frames: continue
    selfc[frames[0]]+=1
    for f in set(frames): incl[f]+=1
print(thr.most_common(10))
n=sum(selfc.values())
print('SELF',n)
for f,c in selfc.most_common(30): print(f"{c:5d} {100*c/n:5.1f}% {f}")
print('INCL')
for f,c in incl.most_common(60): print(f"{c:5d} {100*c/n:5.1f}% {f}")
