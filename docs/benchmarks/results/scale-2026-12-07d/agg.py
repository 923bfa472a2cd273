import json,sys,collections,subprocess
f=sys.argv[1]; thread=sys.argv[2]; n=int(sys.argv[3]) if len(sys.argv)>3 else 40
ev=sys.argv[4] if len(sys.argv)>4 else 'jdk.ExecutionSample'
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','64','--events',ev,f],capture_output=True,text=True).stdout
d=json.loads(out)
self_=collections.Counter(); incl=collections.Counter(); tot=0; w=collections.Counter()
for e in d['recording']['events']:
    v=e['values']
    t=v.get('sampledThread') or v.get('eventThread')
    name=(t or {}).get('javaName') or (t or {}).get('osName')
    if thread not in str(name): continue
    weight = v.get('weight',1) if ev!='jdk.ExecutionSample' else 1
    frames=v['stackTrace']['frames'] if v.get('stackTrace') else []
    if ev!='jdk.ExecutionSample':
        cls=v.get('objectClass',{}).get('name','?')
    tot+=weight
    seen=set()
    for i,fr in enumerate(frames):
        m=fr['method']; k=m['type']['name'].split('.')[-1]+'.'+m['name']
        if ev!='jdk.ExecutionSample': k=cls+' <- '+k
        if i==0: self_[k]+=weight
        if k not in seen: incl[k]+=weight; seen.add(k)
print('total',tot)
print('--- self'); [print(c,k) for k,c in self_.most_common(n)]
print('--- incl'); [print(c,k) for k,c in incl.most_common(n)]
