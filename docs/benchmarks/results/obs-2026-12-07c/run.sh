#!/bin/bash
# Interleaved rounds, one fork per configuration per round (-Djmh.ignoreLock: other helpers' JMH
# runs share the machine; the figures are CPU time paired inside one fork).
# Usage: run.sh OUTDIR ROUNDS NAME=JAR:MODE[:AGE_MS] ...   e.g. before-on=/tmp/obs3/before.jar:on
# AGE_MS: the KV events' hand-over age for this configuration (-Dhicache.bench.kvHandOverAgeMs).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=$1; rounds=$2; shift 2
mkdir -p $out
for r in $(seq 1 $rounds); do
  for spec in "$@"; do
    name=${spec%%=*}; rest=${spec#*=}; jar=${rest%%:*}; mode=${rest#*:}; age=
    case $mode in *:*) age=${mode#*:}; mode=${mode%%:*};; esac
    extra=(); [ -n "$age" ] && extra=(-jvmArgsPrepend -Dhicache.bench.kvHandOverAgeMs=$age)
    echo "# $name round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
    $J -Djmh.ignoreLock=true -jar $jar ObservabilityPairedBenchmark -f 1 -p mode=$mode "${extra[@]}" >> $out/$name.txt 2>&1
    echo "# $name round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
  done
done
echo done >> $out/log.txt
