#!/bin/bash
# Diagnostic: does inlining decide the overhead? Interleaved rounds of on vs off (this branch) with
# the JIT's defaults, with the observability classes kept out of line, and with a larger inlining
# budget for already-compiled callees. Both sides of a pair run under the same flags.
# Usage: run3.sh OBS_JAR OUTDIR ROUNDS
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
obs=$1; out=$2; rounds=$3
NOINLINE="-XX:CompileCommand=quiet"
for c in dev.hicache.core.metrics.InMemoryMetrics dev.hicache.core.events.JfrEngineEvents \
         dev.hicache.core.events.KvEventPublisher dev.hicache.core.events.KvEventTreeObserver; do
  NOINLINE="$NOINLINE -XX:CompileCommand=dontinline,$c::*"
done
one() {
  name=$1; shift
  echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log3.txt
  $J -jar "$@" >> $out/$name.txt 2>&1
  echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log3.txt
}
for r in $(seq 1 $rounds); do
  one r3-default $obs ObservabilityPairedBenchmark -f 1 -p mode=on
  one r3-dontinline $obs ObservabilityPairedBenchmark -f 1 -p mode=on -jvmArgsPrepend "$NOINLINE"
  one r3-inlinesmallcode $obs ObservabilityPairedBenchmark -f 1 -p mode=on -jvmArgsPrepend -XX:InlineSmallCode=6000
done
echo done > $out/done3
