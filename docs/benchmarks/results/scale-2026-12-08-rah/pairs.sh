#!/bin/bash
# alternating cold 10x runs: base (4th argument, default /tmp/base21) vs new (3rd, default the worktree); per-thread CPU per run
out=$1; n=$2; new=${3:-/work/wt/rah21}; base=${4:-/tmp/base21}
for i in $(seq 1 $n); do
  for who in base new; do
    if [ $((i%2)) = 0 ]; then who=$([ $who = base ] && echo new || echo base); fi
    dir=$base; [ $who = new ] && dir=$new
    l=$(uptime | sed 's/.*average: //')
    r=$(/tmp/rah21/thrcpu.sh /tmp/rah21/p-$who env HICACHE_NO_BUILD=1 $dir/hicache simulate --trace /tmp/trace10x.jsonl --no-report --format json)
    echo "pair $i $who load $l :: $r" | tee -a $out
  done
done
