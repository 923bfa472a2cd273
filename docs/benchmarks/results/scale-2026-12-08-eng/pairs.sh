#!/bin/bash
# Alternating cold 10x runs, base (/tmp/base21) vs new (NEW dir); one line per run: load before,
# /usr/bin/time (wall, max RSS, user, sys), the replay thread's CPU (the "java"-named thread that runs
# main, read from /proc every 50 ms with shell builtins only), JSON wall_seconds, page events/s, hit ratio.
# usage: pairs.sh OUT N NEWDIR
out=$1; n=$2; new=$3; tmp=/tmp/eng21/pr; mkdir -p $tmp
hz=$(getconf CLK_TCK)
for i in $(seq 1 $n); do
  for who in base new; do
    if [ $((i%2)) = 0 ]; then who=$([ $who = base ] && echo new || echo base); fi
    dir=/tmp/base21; [ $who = new ] && dir=$new
    l=$(uptime | sed 's/.*average: //')
    /usr/bin/time -f "%e s %M KB %U user %S sys" -o $tmp/t.txt env HICACHE_NO_BUILD=1 $dir/hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json > $tmp/r.json 2>/dev/null &
    tpid=$!
    best=0
    while kill -0 $tpid 2>/dev/null; do
      jp=$(pgrep -P $tpid java 2>/dev/null | head -1)
      if [ -n "$jp" ]; then
        for t in /proc/$jp/task/*; do
          read -r c < $t/comm 2>/dev/null || continue
          [ "$c" = java ] || continue
          read -r s < $t/stat 2>/dev/null || continue
          s=${s#*) }; set -- $s; v=$(( ${12} + ${13} ))
          [ $v -gt $best ] && best=$v
        done
      fi
      sleep 0.05
    done
    wait $tpid
    r=$(python3 -c "import json;d=json.load(open('$tmp/r.json'));print(d['wall_seconds'],d['page_events_per_second'],d['token_hit_ratio'])")
    echo "pair $i $who load $l :: $(cat $tmp/t.txt) :: replay_cpu $(python3 -c "print(round($best/$hz,2))") :: $r" | tee -a $out
  done
done
