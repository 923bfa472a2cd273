import glob,re,statistics,sys,os
# agg.py PREFIX: per fork the start time and load, the three ·per.cpu figures and cpu.share; medians per jar
d=os.path.join(os.path.dirname(os.path.abspath(__file__)),'jmh')
per={}
for f in sorted(glob.glob(os.path.join(d,sys.argv[1]+'-r*.txt'))):
    t=open(f).read()
    head=t.splitlines()[0]
    cpu=[float(x) for x in re.findall(r'·per\.cpu:\s+([0-9.]+) ms/op',t)]
    share=[float(x) for x in re.findall(r'·cpu\.share:\s+([0-9.]+) cpu-s/s',t)]
    wall=re.findall(r'^EngineReplayBenchmark\.fullEngine\s+10\s+local\s+true\s+ss\s+3\s+([0-9.]+)',t,re.M)
    jar=os.path.basename(f).split('-',2)[2][:-4]
    per.setdefault(jar,[]).extend(cpu)
    print(os.path.basename(f), head[2:33], 'per.cpu', cpu, 'share', share, 'mean wall ms/op', wall)
for jar,v in per.items():
    if v: print(jar, 'n', len(v), 'median per.cpu %.0f ms/op = %.2f M page events per CPU second; range %.0f-%.0f' % (statistics.median(v), 22566430/statistics.median(v)/1000, min(v), max(v)))
