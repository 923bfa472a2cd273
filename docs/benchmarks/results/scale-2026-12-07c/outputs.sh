#!/bin/bash
# outputs.sh DIR...: MD5 of each run's key-sorted JSON without wall_seconds, page_events_per_second
# and note, for the real store and the model in this worktree and main's build in BASE.
T=/work/shared/traces/conversation_trace.jsonl
BASE=${BASE:-/work/wt/l3model-base}
HERE=$(cd $(dirname $0)/../../../.. && pwd)
md5() { python3 -c '
import json,sys,hashlib
t=sys.stdin.read(); t=t[t.index("{"):]
d=json.loads(t)
for k in ("wall_seconds","page_events_per_second","note"): d.pop(k,None)
print(hashlib.md5(json.dumps(d,sort_keys=True).encode()).hexdigest())'; }
run() { # label dir args...
  local label=$1 dir=$2; shift 2
  echo "$label $(cd $dir && HICACHE_NO_BUILD=1 ./hicache simulate --no-report --format json "$@" 2>/dev/null | md5) $*"
}
for args in "--trace $T" "--namespaces 4" "--trace $T --namespaces 4" "--trace $T --l3-capacity-tokens 5M" ${EXTRA:+"$EXTRA"}; do
  run main  $BASE $args
  run model $HERE $args
  run real  $HERE $args --l3-store real
done
