#!/bin/bash
# Diagnostic: what the hand-over's frequency costs, kv vs off, interleaved (one JMH run at a time:
# JMH holds a machine-wide lock). AGE_JAR: this branch reading the batch age from -Dhicache.kvAge;
# NOSTEP_JAR: this branch whose endOfStep() returns at once under -Dhicache.kvNoStepHandover=true
# (diagnostic builds, not committed). Usage: run5.sh AGE_JAR NOSTEP_JAR OUTDIR ROUNDS
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
age=$1; nostep=$2; out=$3; rounds=$4
one() {
  name=$1; shift
  echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log5.txt
  $J -jar "$@" >> $out/$name.txt 2>&1
  echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log5.txt
}
for r in $(seq 1 $rounds); do
  one r5-age1ms $age ObservabilityPairedBenchmark -f 1 -p mode=kv
  one r5-age5ms $age ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsPrepend -Dhicache.kvAge=5000000
  one r5-fullonly-clock $age ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsPrepend -Dhicache.kvAge=1000000000000000
  one r5-fullonly-noclock $nostep ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsPrepend -Dhicache.kvNoStepHandover=true
done
echo done > $out/done5
