import re,sys,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
t=sys.argv[2]; depth=int(sys.argv[3])
c=collections.Counter(); tot=0
for e in evs[1:]:
    if 'sampledThread = "main"' not in e: continue
    fr=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(.*?line: (\d+)',e,re.M)
    names=[f[0].split('.')[-2]+'.'+f[0].split('.')[-1] for f in fr]
    idx=[i for i,n in enumerate(names) if n.endswith(t)]
    if not idx: continue
    tot+=1
    i=idx[-1]
    below=names[max(0,i-depth):i][::-1]
    c[' > '.join(below) if below else '(self)']+=1
print(tot)
for k,v in c.most_common(int(sys.argv[4]) if len(sys.argv)>4 else 40): print(v,k)
