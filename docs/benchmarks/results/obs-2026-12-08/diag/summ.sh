#!/bin/bash
# median of the last 1000 of 3000 sink replays, per jar, alternating
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for k in 1 2 3; do for jar in "$@"; do
  echo "$(basename $jar) $(nice -n 10 $J -cp $jar SinkReplayQ.java 3000 2>&1 | grep -v WARN | tail -1)"
done; done
