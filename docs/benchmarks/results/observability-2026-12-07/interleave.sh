#!/bin/bash
# Paired rounds: each round runs one JMH fork per mode, back to back, so that the machine's load
# drifts over all modes alike. Usage: interleave.sh JAR ROUNDS OUTDIR MODES...
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
jar=$1; rounds=$2; out=$3; shift 3
mkdir -p $out
for r in $(seq 1 $rounds); do
  for m in "$@"; do
    { echo "# round $r mode $m start $(date -u +%FT%TZ) $(uptime)"
      $J -jar $jar ObservabilityOverheadBenchmark -f 1 -p mode=$m -prof gc -prof dev.hicache.benchmarks.support.CpuTimeProfiler -rf csv -rff $out/r$r-$m.csv
      echo "# round $r mode $m end $(date -u +%FT%TZ) $(uptime)"; } >> $out/log.txt 2>&1
  done
done
echo done > $out/done
