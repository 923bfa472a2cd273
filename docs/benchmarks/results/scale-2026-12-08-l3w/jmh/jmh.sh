#!/bin/bash
# jmh.sh OUT BRANCHDIR N: N forks each of base (/tmp/base21) and the branch, alternating (ABBA), warm replay + replay-thread CPU
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for i in $(seq 1 ${3:-2}); do
  if [ $((i % 2)) = 1 ]; then order="base branch"; else order="branch base"; fi
  for b in $order; do
    jar=$([ $b = base ] && echo /tmp/base21/benchmarks/target/benchmarks.jar || echo $2/benchmarks/target/benchmarks.jar)
    echo "## $(date -u +%H:%M:%S) load $(uptime | sed 's/.*average: //') $b $jar" >> $1
    $J -jar $jar EngineReplayBenchmark.fullEngine -p l3=local -p readAhead=true -p copies=10 -f 1 -wi 1 -i 3 -prof dev.hicache.benchmarks.support.CpuTimeProfiler 2>&1 | grep -E "^EngineReplay|per.cpu|Error|Exception" >> $1
  done
done
