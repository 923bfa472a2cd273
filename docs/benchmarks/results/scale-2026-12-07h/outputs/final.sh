#!/bin/bash
# default (no --page-keys) of this branch vs main 40aa6e7 (/tmp/base40): x10, trace, tinylfu, pd-offload, ns4-mooncake
set -e
d=$1; mkdir -p $d
T=/work/shared/traces/conversation_trace.jsonl
strip() { python3 -c "
import json,sys
t=open('$1').read()
try: j=json.loads(t)
except Exception: j=[json.loads(l) for l in t.splitlines() if l.strip()]
def s(o):
  if isinstance(o,dict): return {k:s(v) for k,v in o.items() if k not in ('wall_seconds','page_events_per_second')}
  if isinstance(o,list): return [s(x) for x in o]
  return o
json.dump(s(j),open('$2','w'),sort_keys=True,indent=1)"; }
run() { name=$1; shift
  HICACHE_NO_BUILD=1 ./hicache simulate --no-report --format json "$@" > $d/$name-default.raw 2>/dev/null; strip $d/$name-default.raw $d/$name-default.json
  HICACHE_NO_BUILD=1 /tmp/base40/hicache simulate --no-report --format json "$@" > $d/$name-base.raw 2>/dev/null; strip $d/$name-base.raw $d/$name-base.json; }
run trace --trace $T
run tinylfu --trace $T --l3-eviction w-tinylfu
run pd-offload --trace $T --pd-decode-instances 2 --pd-decode-offload
run ns4-mooncake --trace $T --namespaces 4 --l3 mooncake
run multiturn
run x10 --trace /tmp/trace10x.jsonl
cd $d && md5sum *.json
