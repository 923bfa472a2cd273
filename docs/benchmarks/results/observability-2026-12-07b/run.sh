#!/bin/bash
# The runs of docs/benchmarks.md "Paired inside one fork" (issue 17), in order, each JMH run's whole
# output in NAME.txt, the load before and after in log.txt.
# Usage: run.sh MAIN_JAR OBS_JAR OUTDIR   (benchmarks.jar built from main, and from this branch)
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
main=$1; obs=$2; out=$3
mkdir -p $out
run() {
  name=$1; shift
  echo "# $name start $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
  $J -jar "$@" > $out/$name.txt 2>&1
  echo "# $name end $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
}
# Everything on against everything off, this branch; then the A/A control.
run obs-on $obs ObservabilityPairedBenchmark -f 12 -p mode=on
run obs-aa $obs ObservabilityPairedBenchmark -f 8 -p mode=off
# Each part alone.
run obs-parts $obs ObservabilityPairedBenchmark -f 5 -p mode=kv,metrics,jfr
# main's code with the same harness (the replay loaded from main's jar on both sides).
run main-on $obs ObservabilityPairedBenchmark -f 8 -p mode=on -p baseClassPath=$main -p modeClassPath=$main
# main against this branch, everything on both sides.
run main-vs-obs $obs ObservabilityPairedBenchmark -f 8 -p base=on -p mode=on -p baseClassPath=$main -p modeClassPath=$obs
echo done > $out/done
