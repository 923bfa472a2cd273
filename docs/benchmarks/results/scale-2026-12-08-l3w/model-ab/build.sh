#!/bin/bash
# compiles ModelAB + main's model (renamed Old) + the branch's HEAD model (renamed Prev, or PREV=<commit>) + the worktree's model
set -e
W=/work/wt/l3w21; J=/usr/lib/jvm/temurin-25-jdk-amd64/bin
ren() { sed "s/class LocalLruL3Model /class LocalLruL3Model$1 /; s/public LocalLruL3Model(/public LocalLruL3Model$1(/; s/  LocalLruL3Model(LocalL3Config/  LocalLruL3Model$1(LocalL3Config/g"; }
(cd /work/main && git show HEAD:simulator/src/main/java/dev/hicache/simulator/l3/LocalLruL3Model.java) | ren Old > /tmp/l3w/ab/src/dev/hicache/simulator/l3/LocalLruL3ModelOld.java
(cd $W && git show ${PREV:-HEAD}:simulator/src/main/java/dev/hicache/simulator/l3/LocalLruL3Model.java) | ren Prev > /tmp/l3w/ab/src/dev/hicache/simulator/l3/LocalLruL3ModelPrev.java
rm -rf /tmp/l3w/ab/classes; mkdir -p /tmp/l3w/ab/classes
$J/javac -nowarn -d /tmp/l3w/ab/classes -cp "$W/simulator/target/classes:$W/simulator/target/lib/*" \
  /tmp/l3w/ab/src/dev/hicache/simulator/l3/*.java $W/simulator/src/main/java/dev/hicache/simulator/l3/LocalLruL3Model.java
