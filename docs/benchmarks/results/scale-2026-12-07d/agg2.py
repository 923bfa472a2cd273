import json,sys,collections,subprocess
f=sys.argv[1]; excl=sys.argv[2]; n=int(sys.argv[3])
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','64','--events','jdk.ExecutionSample',f],capture_output=True,text=True).stdout
d=json.loads(out)
self_=collections.Counter(); incl=collections.Counter(); tot=0; ex=0
for e in d['recording']['events']:
    v=e['values']; t=v.get('sampledThread'); name=(t or {}).get('javaName')
    if name!='main': continue
    frames=v['stackTrace']['frames']
    ks=[fr['method']['type']['name'].split('/')[-1]+'.'+fr['method']['name'] for fr in frames]
    full=[fr['method']['type']['name'] for fr in frames]
    if any(excl in x for x in full): ex+=1; continue
    tot+=1
    self_[ks[0]]+=1
    for k in set(ks): incl[k]+=1
print('excluded',ex,'rest',tot)
print('--- self'); [print(c,k) for k,c in self_.most_common(n)]
print('--- incl'); [print(c,k) for k,c in incl.most_common(n)]
