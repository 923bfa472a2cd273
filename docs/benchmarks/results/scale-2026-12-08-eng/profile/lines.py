import re,sys,collections
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')
targets=sys.argv[2].split(',')
c=collections.Counter()
for e in evs[1:]:
    if 'sampledThread = "main"' not in e: continue
    fr=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(.*?line: (\d+)',e,re.M)
    if not fr: continue
    m,l=fr[0]
    if any(t in m for t in targets):
        caller = fr[1] if len(fr)>1 else ('','')
        c[(m.split('.')[-2]+'.'+m.split('.')[-1],l, caller[0].split('.')[-1]+':'+caller[1])]+=1
for k,v in c.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 40): print(v,k)
