import re,sys,glob,statistics
rows={}
for f in sorted(glob.glob(sys.argv[1])):
    t=open(f).read()
    head=t.splitlines()[0]
    per=[float(x.replace(',','')) for x in re.findall(r'·per\.cpu:\s+([0-9.,]+) ms/op',t)]
    share=re.findall(r'·cpu\.share:\s+([0-9.]+)',t)
    score=re.findall(r'^Iteration\s+\d+:.*?\n?([0-9.]+) ms/op',t,re.M)
    gc=re.findall(r'·gc\.count:\s+([0-9.]+)',t)
    gct=re.findall(r'·gc\.time:\s+([0-9.]+)',t)
    name='final' if 'final' in f else 'base'
    rows.setdefault(name,[]).extend(per)
    print(f.split('/')[-1], head[2:40], 'per.cpu', per, 'share', share, 'gc.count', gc, 'gc.time', gct)
for k,v in rows.items():
    print(k, 'n=%d median %.0f min %.0f max %.0f -> %.2f M page events per CPU s'%(len(v),statistics.median(v),min(v),max(v),22566430/statistics.median(v)/1000))
