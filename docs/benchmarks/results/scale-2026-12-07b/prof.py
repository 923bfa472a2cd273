import sys,re,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
top=collections.Counter(); incl=collections.Counter(); threads=collections.Counter()
for e in evs[1:]:
    m=re.search(r'sampledThread = "([^"]*)"',e)
    th=m.group(1) if m else '?'
    threads[th]+=1
    if len(sys.argv)>2 and sys.argv[2] not in th: continue
    frames=re.findall(r'^\s+([\w.$<>]+\(.*?\))\s+line:',e,re.M)
    if not frames: continue
    top[frames[0]]+=1
    for f in set(frames): incl[f]+=1
print(threads.most_common(8))
print("--- top self")
for f,c in top.most_common(30): print(c,f)
print("--- inclusive")
for f,c in incl.most_common(50): print(c,f)
