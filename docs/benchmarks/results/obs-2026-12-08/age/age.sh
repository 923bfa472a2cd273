#!/bin/bash
# kv at the default 10 ms hand-over age against kv at one hour (one take, at close), both against
# off in their fork; interleaved rounds; the fork's JVM flags as the benchmark's @Fork has them.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=$1; rounds=$2; jar=$3
mkdir -p $out
F="-XX:+UseSerialGC -Xmn1g -XX:+AlwaysPreTouch --enable-native-access=ALL-UNNAMED"
for r in $(seq 1 $rounds); do
  for age in 10 3600000; do
    echo "# kv-age$age round $r start $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
    $J -Djmh.ignoreLock=true -jar $jar ObservabilityPairedBenchmark -f 1 -p mode=kv -jvmArgsAppend "$F -Dhicache.bench.kvHandOverAgeMs=$age" >> $out/kv-age$age.txt 2>&1
    echo "# kv-age$age round $r end $(date -u +%FT%TZ) $(uptime)" >> $out/log.txt
  done
done
echo done >> $out/log.txt
