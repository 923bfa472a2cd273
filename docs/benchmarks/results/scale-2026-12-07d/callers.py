import json,sys,collections,subprocess
f=sys.argv[1]; targets=sys.argv[2].split(',')
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','8','--events','jdk.ExecutionSample',f],capture_output=True,text=True).stdout
d=json.loads(out)
c=collections.Counter()
for e in d['recording']['events']:
    v=e['values']
    if (v.get('sampledThread') or {}).get('javaName')!='main': continue
    fr=v['stackTrace']['frames']
    ks=[x['method']['type']['name'].split('/')[-1]+'.'+x['method']['name']+':'+str(x['lineNumber']) for x in fr]
    for t in targets:
        for i,k in enumerate(ks):
            if k.startswith(t+':'):
                c[' < '.join(ks[i:i+5])]+=1; break
for k,v in c.most_common(30): print(v,k)
