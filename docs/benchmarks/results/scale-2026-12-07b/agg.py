import re,glob,statistics,collections,sys
rows=[]
for f in sorted(glob.glob('/tmp/scale-out/jmh/*-r1-*.txt')):
    t=open(f).read()
    tag=f.split('/')[-1].split('-r1-')[0]; jar=f.split('-r1-')[1][:-4]
    pc=[float(x) for x in re.findall(r'·per\.cpu:\s+([\d.]+) ms/op',t)]
    sh=[float(x) for x in re.findall(r'·cpu\.share:\s+([\d.]+)',t)]
    wall=[float(x) for x in re.findall(r'^Iteration\s+\d+:.*?([\d.]+) ms/op',t,re.M|re.S)]
    it=re.findall(r'^Iteration\s+\d+: (?:.*\n)*?.*?(\d[\d.,]*) ms/op$',t,re.M)
    gct=re.search(r'fullEngine:gc\.time\s+.*?([\d.]+)\s+ms',t)
    alloc=re.search(r'gc\.alloc\.rate\.norm\s+.*?ss\s+3\s+([\d.e+]+)',t)
    load=re.findall(r'load ([\d.]+)',t)
    prim=re.search(r'fullEngine\s+10\s+local\s+true\s+ss\s+3\s+([\d.]+)\s+±\s+([\d.]+)\s+ms/op',t)
    rows.append((tag,jar,pc,sh,gct.group(1) if gct else '?',load,prim.group(1) if prim else '?'))
for r in rows: print(r)
by=collections.defaultdict(list)
for r in rows: by[r[1]]+=r[2]
for k,v in by.items(): print(k,len(v),'median',statistics.median(v),'min',min(v),'max',max(v),'M/s at median',22566430/statistics.median(v)/1000)
