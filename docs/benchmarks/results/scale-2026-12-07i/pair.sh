#!/bin/bash
# pair.sh TAG ROUNDS JAR_A JAR_B : one fork of each jar per round, alternating, the order swapped each round
# (jars: /tmp/e20/jars/base40.jar = main 40aa6e7's benchmarks.jar, /tmp/e20/jars/engine20.jar = this branch's)
tag=$1; rounds=$2; a=$3; b=$4
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=$(dirname $0)/jmh
for r in $(seq 1 $rounds); do
  if [ $((r % 2)) = 1 ]; then order="$a $b"; else order="$b $a"; fi
  for jar in $order; do
    n=$(basename $jar .jar)
    f=$out/$tag-r$r-$n.txt
    echo "# $(date -u +%H:%M:%S) load $(cat /proc/loadavg) jar $jar" > $f
    $J -Djmh.ignoreLock=true -Dhicache.trace=/work/shared/traces/conversation_trace.jsonl -jar $jar EngineReplayBenchmark.fullEngine -p l3=local -p readAhead=true -p copies=${COPIES:-10} -f 1 -wi 1 -i 3 -prof gc -prof dev.hicache.benchmarks.support.CpuTimeProfiler >> $f 2>&1
    echo "# end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $f
  done
done
