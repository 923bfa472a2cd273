import json,sys,collections,subprocess
f=sys.argv[1]; th=sys.argv[2]; n=int(sys.argv[3])
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','12','--events','jdk.ObjectAllocationSample',f],capture_output=True,text=True).stdout
d=json.loads(out)
c=collections.Counter(); tot=0
for e in d['recording']['events']:
    v=e['values']; t=v.get('eventThread'); name=(t or {}).get('javaName')
    if th not in str(name): continue
    w=v['weight']; tot+=w
    fr=v['stackTrace']['frames'] if v.get('stackTrace') else []
    site=' < '.join(x['method']['type']['name'].split('/')[-1]+'.'+x['method']['name'] for x in fr[:4])
    c[(v['objectClass']['name'],site)]+=w
print('total GB',tot/1e9)
for (k,s),w in c.most_common(n): print('%.2f GB'%(w/1e9),k,'|',s)
