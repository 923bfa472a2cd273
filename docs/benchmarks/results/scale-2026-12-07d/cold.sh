#!/bin/bash
# alternating cold runs, base vs final, per-thread CPU from /proc
for i in $(seq 1 ${PAIRS:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base final"; else order="final base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo /tmp/ecbase || echo /work/wt/enginecpu)
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && python3 /tmp/ec/cpu.py /tmp/ec/cold${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
