#!/bin/bash
# interleave.sh for two builds: each round runs one JMH fork per (build, mode), the builds' order
# alternating between rounds, so that the machine's load drifts over both builds and all modes
# alike. CSV per fork: OUTDIR/rROUND-BUILD_MODE.csv (agg.py reads BUILD_MODE as the mode).
# Usage: interleave-jars.sh ROUNDS OUTDIR BUILD1=JAR1 BUILD2=JAR2 -- MODES...
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
rounds=$1; out=$2; shift 2
builds=()
while [ "$1" != "--" ]; do builds+=("$1"); shift; done
shift
mkdir -p $out
for r in $(seq 1 $rounds); do
  order=("${builds[@]}")
  if [ $((r % 2)) -eq 0 ]; then order=($(printf '%s\n' "${builds[@]}" | tac)); fi
  for b in "${order[@]}"; do
    name=${b%%=*}; jar=${b#*=}
    for m in "$@"; do
      { echo "# round $r build $name mode $m start $(date -u +%FT%TZ) $(uptime)"
        $J -jar $jar ObservabilityOverheadBenchmark -f 1 -p mode=$m -prof gc -prof dev.hicache.benchmarks.support.CpuTimeProfiler -rf csv -rff $out/r$r-${name}_$m.csv
        echo "# round $r build $name mode $m end $(date -u +%FT%TZ) $(uptime)"; } >> $out/log.txt 2>&1
    done
  done
done
echo done > $out/done
