#!/bin/bash
# Interleaved rounds, one ObservabilityPairedBenchmark fork per configuration per round
# (-Djmh.ignoreLock: other helpers' JMH runs share the machine; the figures are CPU time paired
# inside one fork). OUTDIR/log.txt has the start and end time and `uptime` of every fork.
# Usage: run.sh OUTDIR ROUNDS 'NAME=JAR|JMH ARGS' ...
#   e.g. 'new-on=/tmp/final.jar|-p mode=on'
#        'h2h-on=/tmp/final.jar|-p base=on -p mode=on -p baseClassPath=/tmp/base40/benchmarks/target/benchmarks.jar'
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq 1 $rounds); do
  for spec in "$@"; do
    name=${spec%%=*}; rest=${spec#*=}; jar=${rest%%|*}; args=${rest#*|}
    echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
    $J -Djmh.ignoreLock=true -jar $jar ObservabilityPairedBenchmark -f 1 $args >> $out/$name.txt 2>&1
    echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
  done
done
echo done >> $out/log.txt
