#!/bin/bash
# Rounds of cold 10x runs, one per build per round, the order rotated each round; per-thread CPU from
# /proc (cpu.py). usage: ROUNDS=n TAG=x BUILDS="name:dir name:dir ..." rounds.sh
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
R=$(cd "$(dirname "$0")" && pwd)
read -ra B <<< "$BUILDS"
n=${#B[@]}
for i in $(seq 1 ${ROUNDS:-4}); do
  for k in $(seq 0 $((n - 1))); do
    e=${B[$(( (k + i - 1) % n ))]}; name=${e%%:*}; dir=${e#*:}
    l=$(uptime | sed 's/.*average: //')
    r=$(cd $dir && HICACHE_NO_BUILD=1 HICACHE_JAVA_OPTS="${OPTS:-}" python3 $R/cpu.py $R/${TAG}-$name-$i.json ./hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "$(date -u +%H:%M:%S) load $l | $name | $r"
  done
done
