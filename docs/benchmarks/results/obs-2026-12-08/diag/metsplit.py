import re,collections,sys
txt=open(sys.argv[1]).read()
evs=txt.split('jdk.ExecutionSample')[1:]
n=0;c=collections.Counter();ex=collections.defaultdict(collections.Counter)
for e in evs:
    if 'sampledThread = "main"' not in e: continue
    n+=1
    frames=re.findall(r'^\s+([\w$./<>]+\.[\w$<>]+)\(',e,re.M)
    s=' '.join(frames)
    if re.search(r'InMemoryMetrics|MetricHandle|LongAdder',s):
        kind='create' if re.search(r'Cell\b|Cell\(|Handle\b|newOwned|counterCell|gaugeCell|distributionCell|counterHandle|gaugeHandle',s) else 'hot'
        c[kind]+=1
        ex[kind][frames[0]]+=1
    if re.search(r'KvEvent',s): c['kv']+=1; ex['kv'][frames[0]]+=1
    if re.search(r'Jfr|jdk\.jfr',s): c['jfr']+=1; ex['jfr'][frames[0]]+=1
print('samples',n)
for k,v in c.items(): print(k,v,f"{100*v/n:.2f}%")
for k in ex:
    print(k, ex[k].most_common(8))
