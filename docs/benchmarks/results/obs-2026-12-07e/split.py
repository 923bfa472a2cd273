"""Splits each fork of ObservabilityPairedBenchmark runs into the benchmark thread and the KV consumer
(docs/benchmarks.md, observability overhead, session 20): per fork, the thread's CPU (total minus
consumer) of mode over base in per cent, and the consumer's extra CPU per replay in ms and as a
share of base's thread CPU; last, the mean over forks with a 95 % t interval. Usage: split.py FILE...
"""
import math
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}
import re,sys,statistics as st
for f in sys.argv[1:]:
    forks=[];cur=[];th=[];co=[]
    for line in open(f,errors='replace'):
        m=re.search(r'PAIR (\d+) (\S+) base=(\S+) (\d+) (\d+) (\d+) mode=(\S+) (\d+) (\d+) (\d+)',line)
        if m: cur.append([int(m.group(i)) for i in (4,5,6,8,9,10)]); continue
        if 'PAIRED base=' in line and cur: forks.append(cur); cur=[]
    for fk in forks:
        bt=sum(p[0]-p[2] for p in fk); mt=sum(p[3]-p[5] for p in fk); mc=sum(p[5] for p in fk); bc=sum(p[2] for p in fk)
        print(f"{f}: thread {100*(mt/bt-1):+.2f} %  consumer {(mc-bc)/len(fk)/1e6:.3f} ms = {100*(mc-bc)/bt:+.2f} % of base thread; base {bt/len(fk)/1e6:.2f} ms")
        th.append(100*(mt/bt-1)); co.append(100*(mc-bc)/bt)
    for name, xs in (("thread", th), ("consumer", co)):
        if len(xs) > 1:
            print(f"{f}: {name} mean {st.mean(xs):+.2f} % +- {T95.get(len(xs)-1, 2.0)*st.stdev(xs)/math.sqrt(len(xs)):.2f} % over {len(xs)} forks")
