#!/bin/bash
# Interleaved rounds, one fork per configuration per round, so that the machine's drift over the
# session falls on every configuration alike (docs/benchmarks.md, observability overhead).
# Usage: run2.sh MAIN_JAR OBS_JAR AGE_JAR OUTDIR ROUNDS
#   AGE_JAR: this branch with the KV batch age read from -Dhicache.kvAge (a diagnostic build only).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
main=$1; obs=$2; age=$3; out=$4; rounds=$5
mkdir -p $out
one() {
  name=$1; shift
  echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log2.txt
  $J -jar "$@" >> $out/$name.txt 2>&1
  echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log2.txt
}
for r in $(seq 1 $rounds); do
  one r2-obs-on $obs ObservabilityPairedBenchmark -f 1 -p mode=on
  one r2-main-on $obs ObservabilityPairedBenchmark -f 1 -p mode=on -p baseClassPath=$main -p modeClassPath=$main
  one r2-age5-kv $age ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsPrepend -Dhicache.kvAge=5000000
  one r2-age1-kv $age ObservabilityPairedBenchmark -f 1 -p mode=kv
done
echo done > $out/done2
