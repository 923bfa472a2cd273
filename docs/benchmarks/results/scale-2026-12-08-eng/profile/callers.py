import re,sys,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
t=sys.argv[2]; depth=int(sys.argv[3])
c=collections.Counter()
for e in evs[1:]:
    if 'sampledThread = "main"' not in e: continue
    fr=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(.*?line: (\d+)',e,re.M)
    if not fr or t not in fr[0][0]: continue
    c[' < '.join(f[0].split('.')[-1]+':'+f[1] for f in fr[:depth])]+=1
for k,v in c.most_common(25): print(v,k)
