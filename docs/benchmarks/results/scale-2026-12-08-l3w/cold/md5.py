# MD5 of each run's JSON, key-sorted, without the timing fields (as scale-2026-12-07e/outputs/outputs.sh strips them)
import json,sys,hashlib
def strip(o):
  if isinstance(o,dict): return {k:strip(v) for k,v in o.items() if k not in ('wall_seconds','page_events_per_second')}
  if isinstance(o,list): return [strip(x) for x in o]
  return o
for f in sys.argv[1:]:
  j=json.load(open(f)); s=json.dumps(strip(j),sort_keys=True,indent=1)
  print(hashlib.md5(s.encode()).hexdigest(), j.get('token_hit_ratio'), f)
