import json,sys,hashlib
j=json.load(open(sys.argv[1]))
def strip(o):
  if isinstance(o,dict): return {k:strip(v) for k,v in o.items() if k not in ('wall_seconds','page_events_per_second')}
  if isinstance(o,list): return [strip(x) for x in o]
  return o
print(hashlib.md5(json.dumps(strip(j),sort_keys=True,indent=1).encode()).hexdigest(), j.get('wall_seconds'), j.get('page_events_per_second'))
