#!/bin/bash
# usage: outputs.sh DIR (run in worktree)  -> DIR/<name>.json key-sorted minus timing
set -e
d=$1; mkdir -p $d
T=/work/shared/traces/conversation_trace.jsonl
run() { name=$1; shift; ./hicache simulate --no-report --format json "$@" > $d/$name.raw; python3 -c "
import json,sys
j=json.load(open('$d/$name.raw'))
def strip(o):
  if isinstance(o,dict):
    return {k:strip(v) for k,v in o.items() if k not in ('wall_seconds','page_events_per_second')}
  if isinstance(o,list): return [strip(x) for x in o]
  return o
json.dump(strip(j),open('$d/$name.json','w'),sort_keys=True,indent=1)
"; }
run default
run trace --trace $T
run mooncake --l3 mooncake
run mooncake-trace --trace $T --l3 mooncake
run ns4 --namespaces 4
run ns4-trace --trace $T --namespaces 4
run memory --trace $T --l3 memory
run shared --trace $T --l3-link shared --pcie-link shared
run real --trace $T --l3-store real
run x10 --trace /tmp/trace10x.jsonl
md5sum $d/*.json
