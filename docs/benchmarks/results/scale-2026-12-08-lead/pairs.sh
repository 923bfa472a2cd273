#!/bin/bash
# alternating cold 10x runs: base21 (session-start main aba5ed5) vs main; one line per run
out=$1; n=$2
for i in $(seq 1 $n); do
  for who in base main; do
    if [ $((i%2)) = 0 ]; then who=$([ $who = base ] && echo main || echo base); fi
    dir=/tmp/base21; [ $who = main ] && dir=/work/main
    l=$(uptime | sed 's/.*average: //')
    /usr/bin/time -f "%e s %M KB %U user %S sys" -o /tmp/lead/t.txt env HICACHE_NO_BUILD=1 $dir/hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json > /tmp/lead/r.json 2>/dev/null
    r=$(python3 -c "import json;d=json.load(open('/tmp/lead/r.json'));print(d['wall_seconds'],d['page_events_per_second'],d['token_hit_ratio'])")
    echo "pair $i $who load $l :: $(cat /tmp/lead/t.txt) :: $r" | tee -a $out
  done
done
