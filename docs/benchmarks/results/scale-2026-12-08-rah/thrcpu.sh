#!/bin/bash
# per-thread CPU of one run: $1 = output prefix, rest = command (which must exec java: ./hicache does)
pre=$1; shift
"$@" > $pre.out 2>/dev/null &
pid=$!
: > $pre.all
while kill -0 $pid 2>/dev/null; do
  for t in /proc/$pid/task/*; do s=$(awk '{print $14+$15}' $t/stat 2>/dev/null); n=$(cat $t/comm 2>/dev/null); echo "$(basename $t)|$s|$n"; done >> $pre.all
  h=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null); [ -n "$h" ] && echo "$h" > $pre.hwm
  sleep 0.1
done
wait
python3 - $pre <<'Q'
import collections,sys,json
pre=sys.argv[1]
m={}
for l in open(pre+'.all'):
    p=l.rstrip('\n').split('|')
    if len(p)<3 or not p[1]: continue
    o=m.get(p[0],(0,''));m[p[0]]=(max(o[0],int(p[1])),p[2] or o[1])
agg=collections.Counter()
for tid,(c,n) in m.items(): agg[n.split(' ')[0] if n.startswith(('C1','C2','GC')) else n]+=c/100
tot=sum(agg.values())
d=json.load(open(pre+'.out'))
print(' '.join(f"{n}={c:.2f}" for n,c in agg.most_common(7)), f"total={tot:.2f} wall={d['wall_seconds']} hit={d['token_hit_ratio']} hwmMB={int(open(pre+'.hwm').read())//1024}")
Q
