#!/bin/bash
# the model's own CPU (thread CPU around each batch call) in the 10x replay; $1 = old|new|v4
W=/tmp/base40
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
cd $W && $J --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmn512m -XX:MaxTenuringThreshold=1 -XX:MaxInlineSize=15 -XX:FreqInlineSize=100 -XX:InlineSmallCode=800 -XX:Tier3BackEdgeThreshold=200000 -XX:Tier4BackEdgeThreshold=400000 $(cat simulator/target/chronicle.jvmopts) -cp "/tmp/l3log/timed/$1/classes:simulator/target/classes:simulator/target/lib/*" dev.hicache.simulator.cli.Main simulate --trace /tmp/trace10x.jsonl --no-report --format json 2>&1 >/tmp/l3log/timed/$1.json | grep MODELCPU
