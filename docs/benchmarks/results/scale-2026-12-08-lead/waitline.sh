#!/bin/bash
# per 0.5 s: replay thread's CPU and run-queue wait deltas (schedstat), and the other threads' CPU
HICACHE_NO_BUILD=1 /work/main/hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json > /tmp/lead/w.out 2>/dev/null &
bp=$!; sleep 0.2; pid=$(pgrep -P $bp java || echo $bp)
: > /tmp/lead/w.all; t0=$(date +%s.%N)
while kill -0 $pid 2>/dev/null; do
  now=$(date +%s.%N)
  for t in /proc/$pid/task/*; do echo "$now|$(cat $t/comm 2>/dev/null)|$(cat $t/schedstat 2>/dev/null)"; done >> /tmp/lead/w.all
  sleep 0.5
done
wait
python3 - <<'P'
import collections
rows=collections.defaultdict(dict)
for l in open('/tmp/lead/w.all'):
    p=l.rstrip('\n').split('|')
    if len(p)<3 or not p[2].strip(): continue
    t=float(p[0]); n=p[1]
    run,wait,_=map(int,p[2].split())
    key='main' if n=='java' else n.split(' ')[0][:10]
    d=rows[t]; r,w=d.get(key,(0,0)); d[key]=(r+run,w+wait) if key!='main' else (max(r,run),max(w,wait))
ts=sorted(rows); prev=None; t0=ts[0]
print("t      replay:cpu wait | read-ahead:cpu wait | C1+C2:cpu wait")
for t in ts:
    d=rows[t]
    if prev:
        def dd(k):
            a=d.get(k,(0,0)); b=prev.get(k,(0,0)); return ((a[0]-b[0])/1e9,(a[1]-b[1])/1e9)
        m=dd('main'); r=dd('hicache-re'); c1=dd('C1'); c2=dd('C2')
        print(f"{t-t0:5.1f}  {m[0]:.2f} {m[1]:.2f} | {r[0]:.2f} {r[1]:.2f} | {c1[0]+c2[0]:.2f} {c1[1]+c2[1]:.2f}")
    prev=d
P
python3 -c "import json;d=json.load(open('/tmp/lead/w.out'));print('wall',d['wall_seconds'])"
