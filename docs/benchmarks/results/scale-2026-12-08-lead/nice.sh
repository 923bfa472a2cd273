#!/bin/bash
# nice.sh MODE: run main once; MODE=none|batch|nice19|nicec (read-ahead + compilers nice 19)
mode=$1
HICACHE_NO_BUILD=1 /work/main/hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json > /tmp/lead/n.out 2>/dev/null &
bp=$!
if [ $mode != none ]; then
  done=""
  for i in $(seq 1 100); do
    sleep 0.02
    pid=$(pgrep -P $bp java || echo $bp)
    for t in /proc/$pid/task/*; do
      n=$(cat $t/comm 2>/dev/null); tid=$(basename $t)
      case "$done" in *" $tid "*) continue;; esac
      case "$mode:$n" in
        batch:hicache-read-ah*) chrt -b -p 0 $tid; done="$done $tid ";;
        nice19:hicache-read-ah*) renice -n 19 -p $tid >/dev/null; done="$done $tid ";;
        nicec:hicache-read-ah*|nicec:C1*|nicec:C2*) renice -n 19 -p $tid >/dev/null; done="$done $tid ";;
      esac
    done
  done
fi
wait $bp
python3 -c "import json;d=json.load(open('/tmp/lead/n.out'));print('$mode',d['wall_seconds'],d['token_hit_ratio'])"
