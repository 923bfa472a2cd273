#!/bin/bash
# cold.sh TAG BRANCHDIR PAIRS: alternating cold 10x replays, $BASE (default /tmp/base21, main aba5ed5) vs BRANCHDIR, order swapped each
# pair; per-thread CPU from /proc (cpu.py = scale-2026-12-07d/cpu.py); JSON of each run kept for the MD5 check
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
TAG=$1; BR=$2
for i in $(seq 1 ${3:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo ${BASE:-/tmp/base21} || echo $BR)
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && HICACHE_NO_BUILD=1 python3 /tmp/l3w/cpu.py /tmp/l3w/cold/${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
