#!/bin/bash
"$@" > /tmp/thr.out 2>/dev/null &
sleep 0.2
pid=$(pgrep -n java)
: > /tmp/thr.all
while kill -0 $pid 2>/dev/null; do
  for t in /proc/$pid/task/*; do s=$(awk '{print $14+$15}' $t/stat 2>/dev/null); n=$(cat $t/comm 2>/dev/null); echo "$(basename $t)|$s|$n"; done >> /tmp/thr.all
  sleep 0.1
done
wait
python3 - <<'P'
import collections
m={}
for l in open('/tmp/thr.all'):
    p=l.rstrip('\n').split('|')
    if len(p)<3 or not p[1]: continue
    m[p[0]]=(max(m.get(p[0],(0,''))[0],int(p[1])),p[2])
agg=collections.Counter()
for tid,(c,n) in m.items(): agg[n.split(' ')[0] if n.startswith(('C1','C2','GC')) else n]+=c/100
tot=sum(agg.values())
for n,c in agg.most_common(12): print(f"{c:6.2f} {n}")
print("total",round(tot,2))
P
