#!/bin/bash
# cold.sh FROM TO: pairs FROM..TO, main's build (BASE) and this branch's (model, the default) alternating, the order swapped each pair
BASE=${BASE:-/work/wt/l3model-base}; HERE=$(cd $(dirname $0)/../../../../.. && pwd); OUT=$(dirname $0)
for i in $(seq $1 $2); do
  if [ $((i % 2)) = 1 ]; then order="main model"; else order="model main"; fi
  for b in $order; do
    dir=$HERE; [ $b = main ] && dir=$BASE
    f=$OUT/$b-$i
    echo "# $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" > $f.time
    (cd $dir && HICACHE_NO_BUILD=1 /usr/bin/time -o /tmp/l3m-time -f '%e s wall, %U s user, %S s sys, %M KB max resident' ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json > /tmp/l3m-cold-$b-$i.json 2>/dev/null)
    cat /tmp/l3m-time >> $f.time
    python3 -c "import json;d=json.load(open('/tmp/l3m-cold-$b-$i.json'));print('wall_seconds',d['wall_seconds'],'page_events_per_second',d['page_events_per_second'])" >> $f.time
    echo "# end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $f.time
  done
done
