#!/bin/bash
# usage: outputs.sh DIR MODE... (run in a worktree) -> DIR/<name>-<mode>.json: key-sorted JSON minus the two timing fields
# MODE: serial | tokens | default (no --page-keys flag) | base (HICACHE_NO_BUILD=1 /tmp/base40/hicache, no flag)
set -e
d=$1; shift; mkdir -p $d
T=/work/shared/traces/conversation_trace.jsonl
run() { name=$1; shift; for m in $MODES; do
  if [ $m = base ]; then cmd="env HICACHE_NO_BUILD=1 /tmp/base40/hicache"; flag=""; elif [ $m = default ]; then cmd=./hicache; flag=""; else cmd=./hicache; flag="--page-keys $m"; fi
  HICACHE_JAVA_OPTS="${JOPTS:-}" $cmd simulate --no-report --format json "$@" $flag > $d/$name-$m.raw
  python3 -c "
import json,sys
t=open('$d/$name-$m.raw').read()
try: j=json.loads(t)
except Exception: j=[json.loads(l) for l in t.splitlines() if l.strip()]
def strip(o):
  if isinstance(o,dict):
    return {k:strip(v) for k,v in o.items() if k not in ('wall_seconds','page_events_per_second')}
  if isinstance(o,list): return [strip(x) for x in o]
  return o
json.dump(strip(j),open('$d/$name-$m.json','w'),sort_keys=True,indent=1)
"; done; }
MODES="$*"
for s in ${SETS:-all}; do :; done
run trace --trace $T
run memory --trace $T --l3 memory
run mooncake --trace $T --l3 mooncake
run real --trace $T --l3-store real
run tinylfu --trace $T --l3-eviction w-tinylfu
run rr --trace $T --routing round_robin
run random --trace $T --routing random
run ns4 --trace $T --namespaces 4
run ns4-mooncake --trace $T --namespaces 4 --l3 mooncake
run shared --trace $T --l3-link shared --pcie-link shared
run pd-offload --trace $T --pd-decode-instances 2 --pd-decode-offload
run pd-offload-shared --trace $T --pd-decode-instances 2 --pd-decode-offload --l3-link shared --l3 mooncake
run prepop --trace $T --prepopulate-l3 --l3 memory
run writeback --trace $T --hicache-write-policy write_back --arrivals asap
run page1 --trace $T --page-size 16 --l1-capacity-tokens 500000
run sweep --trace $T --sweep l1-capacity-tokens=1M,3M --sweep-jobs 1
run sweep-l3 --trace $T --sweep l3=local,memory,mooncake --sweep-jobs 1
run x10 --trace /tmp/trace10x.jsonl
