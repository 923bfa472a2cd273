#!/bin/bash
# run.sh WORKLOAD BATCHES ROUNDS B  (one JVM; main vs new vs null alternating)
W=/work/wt/l3w21; J=/usr/lib/jvm/temurin-25-jdk-amd64/bin
echo "# $(date -u +%H:%M:%S) load $(uptime | sed 's/.*average: //') args $*"
$J/java --enable-native-access=ALL-UNNAMED -Xmx3g $JOPTS -cp "/tmp/l3w/ab/classes:$W/simulator/target/classes:$W/simulator/target/lib/*" dev.hicache.simulator.l3.ModelAB "$@"
