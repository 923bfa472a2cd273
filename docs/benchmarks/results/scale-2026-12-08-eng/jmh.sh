#!/bin/bash
# JMH EngineReplayBenchmark.fullEngine (10x, local L3, read-ahead), one fork per jar per round, order swapped each round.
out=$1; rounds=$2
for i in $(seq ${3:-1} $rounds); do
  order="new base"; [ $((i%2)) = 0 ] && order="base new"
  for who in $order; do
    jar=/tmp/eng21/new.jar; [ $who = base ] && jar=/tmp/base21/benchmarks/target/benchmarks.jar
    echo "== $who round $i $(uptime)" >> $out
    /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -Djmh.ignoreLock=true -Dhicache.trace=/work/shared/traces/conversation_trace.jsonl -jar $jar EngineReplayBenchmark.fullEngine -p l3=local -p readAhead=true -p copies=10 -f 1 -wi 1 -i 3 -prof dev.hicache.benchmarks.support.CpuTimeProfiler >> $out 2>&1
  done
done
