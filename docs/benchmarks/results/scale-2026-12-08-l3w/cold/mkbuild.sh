#!/bin/bash
# mkbuild.sh NAME [COMMIT]: git archive of the worktree's COMMIT (default HEAD) into /tmp/l3w/NAME, built, AOT cache trained
set -e
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
d=/tmp/l3w/$1; rm -rf $d; mkdir -p $d
cd /work/wt/l3w21 && git archive ${2:-HEAD} | tar -x -C $d
cd $d && ./mvnw -o -B -q -pl simulator,benchmarks -am package -DskipTests > build.log 2>&1
./hicache simulate --no-report --format json > /dev/null 2> aot.log
ls -la simulator/target/hicache.aot
