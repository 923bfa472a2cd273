# line-level self + inclusive aggregation of a jfr print of ExecutionSample (replay thread "main")
import re,sys,collections
txt=open(sys.argv[1]).read()
thread=sys.argv[2] if len(sys.argv)>2 else 'main'
evs=txt.split('jdk.ExecutionSample')
selfm=collections.Counter(); selfl=collections.Counter(); incl=collections.Counter(); n=0
for e in evs[1:]:
    m=re.search(r'sampledThread = "([^"]*)"',e)
    if not m or m.group(1)!=thread: continue
    fr=re.findall(r'^\s+([\w$./<>]+)\.([\w$<>]+)\([^)]*\)\s+line: (\d+)',e,re.M)
    if not fr: continue
    n+=1
    c,mth,l=fr[0]; selfm[c+'.'+mth]+=1; selfl[c.split('.')[-1]+'.'+mth+':'+l]+=1
    # first user frame (skip jdk internals) for attribution
    for c2,m2,l2 in fr:
        if not c2.startswith(('jdk.','java.','sun.')):
            if (c2,m2)!=(c,mth): selfl['  via '+c2.split('.')[-1]+'.'+m2+':'+l2]+=1
            break
    for f in set(c+'.'+mth for c,mth,l in fr): incl[f]+=1
print('samples',n)
print('SELF methods')
for f,c in selfm.most_common(45): print(f"{c:5d} {100*c/n:5.1f}% {f}")
print('SELF lines')
for f,c in selfl.most_common(90): print(f"{c:5d} {100*c/n:5.1f}% {f}")
print('INCL')
for f,c in incl.most_common(70): print(f"{c:5d} {100*c/n:5.1f}% {f}")
