#!/bin/bash
# alternating cold 10x runs, base (main 40aa6e7, /tmp/base40) vs the branch build ($BR), per-thread CPU from /proc
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
for i in $(seq 1 ${PAIRS:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo /tmp/base40 || echo $BR)
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && HICACHE_NO_BUILD=1 python3 /tmp/l3log/cpu.py /tmp/l3log/cold/${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
