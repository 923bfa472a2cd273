#!/bin/bash
"$@" > /tmp/lead/s.out 2>/dev/null &
bp=$!
sleep 0.3
pid=$(pgrep -P $bp java || echo $bp)
: > /tmp/lead/s.all
while kill -0 $pid 2>/dev/null; do
  for t in /proc/$pid/task/*; do echo "$(basename $t)|$(cat $t/schedstat 2>/dev/null)|$(cat $t/comm 2>/dev/null)|$(grep -h ctxt $t/status 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"; done >> /tmp/lead/s.all
  sleep 0.2
done
wait
python3 - <<'P'
m={}
for l in open('/tmp/lead/s.all'):
    p=l.rstrip('\n').split('|')
    if len(p)<4 or not p[1].strip(): continue
    run,wait,sl=map(int,p[1].split())
    m[p[0]]=(run/1e9,wait/1e9,p[2],p[3])
for tid,(r,w,n,c) in sorted(m.items(), key=lambda x:-x[1][0])[:6]: print(f"{n:18s} cpu {r:6.2f} runq-wait {w:6.2f} ctxsw(vol,invol) {c}")
P
python3 -c "import json;d=json.load(open('/tmp/lead/s.out'));print('wall',d['wall_seconds'])"
