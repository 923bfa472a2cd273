# per user-method cost: samples whose first non-JDK frame is that method (own code + JDK code it calls)
import re,sys,collections
txt=open(sys.argv[1]).read(); thread=sys.argv[2] if len(sys.argv)>2 else 'main'
c=collections.Counter(); n=0
for e in txt.split('jdk.ExecutionSample')[1:]:
    m=re.search(r'sampledThread = "([^"]*)"',e)
    if not m or m.group(1)!=thread: continue
    fr=re.findall(r'^\s+([\w$./<>]+)\.([\w$<>]+)\([^)]*\)\s+line: (\d+)',e,re.M)
    if not fr: continue
    n+=1
    for c2,m2,l2 in fr:
        if not c2.startswith(('jdk.','java.','sun.')):
            c[c2.split('.')[-1]+'.'+m2]+=1; break
    else: c['(jdk only)']+=1
print('samples',n)
for f,k in c.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 50): print(f"{k:5d} {100*k/n:5.1f}% {f}")
