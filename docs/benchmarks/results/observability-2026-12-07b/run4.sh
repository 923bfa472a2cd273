#!/bin/bash
# Diagnostic: what live delivery costs. A build of this branch whose endOfStep() returns at once
# when -Dhicache.kvNoStepHandover=true (not committed): batches are then handed over only when full
# (~5 per replay instead of ~34) and no clock is read per step. kv vs off, with and without it,
# interleaved. Usage: run4.sh DIAG_JAR OUTDIR ROUNDS
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
jar=$1; out=$2; rounds=$3
one() {
  name=$1; shift
  echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log4.txt
  $J -jar "$@" >> $out/$name.txt 2>&1
  echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log4.txt
}
for r in $(seq 1 $rounds); do
  one r4-kv-default $jar ObservabilityPairedBenchmark -f 1 -p mode=kv
  one r4-kv-fullbatchesonly $jar ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsPrepend -Dhicache.kvNoStepHandover=true
done
echo done > $out/done4
