#!/bin/bash
# alternating cold runs, base (main, /tmp/base3) vs this branch (/work/wt/scale3), per-thread CPU from /proc
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
for i in $(seq 1 ${PAIRS:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo /tmp/base3 || echo /work/wt/scale3)
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && HICACHE_JAVA_OPTS="${OPTS:-}" python3 /tmp/s3r/cpu.py /tmp/s3r/cold/${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
