#!/bin/bash
# Alternating cold 10x runs: BASE (main 40aa6e7, a built git archive in /tmp/base40) vs this branch (run
# from the worktree), per-thread CPU from /proc (cpu.py). usage: PAIRS=n TAG=x cold.sh (in the worktree)
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
R=$(cd "$(dirname "$0")" && pwd)
for i in $(seq 1 ${PAIRS:-4}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    dir=$([ $b = base ] && echo /tmp/base40 || pwd)
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && HICACHE_NO_BUILD=1 HICACHE_JAVA_OPTS="${OPTS:-}" python3 $R/cpu.py $R/${TAG}-$b-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $b | $r"
  done
done
