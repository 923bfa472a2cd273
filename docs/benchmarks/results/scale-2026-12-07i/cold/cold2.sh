#!/bin/bash
# alternating cold runs, base (main 40aa6e7, /tmp/base40, or $BASE) vs this branch (/work/wt/engine20), per-thread CPU from /proc
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
for i in $(seq 1 ${PAIRS:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo ${BASE:-/tmp/base40} || echo /work/wt/engine20)
    l=$(cut -d' ' -f1-3 /proc/loadavg)
    r=$(cd $dir && HICACHE_NO_BUILD=1 python3 /tmp/e20/cpu.py /tmp/e20/cold/${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
