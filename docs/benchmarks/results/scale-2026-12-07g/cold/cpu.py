import subprocess,sys,time,os,re,json
out=sys.argv[1]; cmd=sys.argv[2:]
t0=time.time()
p=subprocess.Popen(['/usr/bin/time','-f','%e s %M KB %U user %S sys']+cmd,stdout=open(out,'w'),stderr=subprocess.PIPE,text=True)
last={}
tck=os.sysconf('SC_CLK_TCK')
def jpids():
    r=[]
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                if open('/proc/%s/comm'%d).read().strip()=='java' and os.getppid()!=int(d):
                    # descendant check
                    st=open('/proc/%s/stat'%d).read(); ppid=int(st.rsplit(')',1)[1].split()[1])
                    if ppid in (p.pid,) or ppid in kids: r.append(d)
            except Exception: pass
    return r
kids=set()
while p.poll() is None:
    kids={p.pid}
    try:
        for d in os.listdir('/proc'):
            if d.isdigit():
                try:
                    st=open('/proc/%s/stat'%d).read(); ppid=int(st.rsplit(')',1)[1].split()[1])
                    if ppid==p.pid: kids.add(int(d))
                except Exception: pass
        for pid in kids:
            try: tasks=os.listdir('/proc/%d/task'%pid)
            except Exception: continue
            for t in tasks:
                try:
                    s=open('/proc/%d/task/%s/stat'%(pid,t)).read()
                    name=s[s.index('(')+1:s.rindex(')')]
                    f=s.rsplit(')',1)[1].split()
                    last[(pid,t,name)]=(int(f[11])+int(f[12]))/tck
                except Exception: pass
    except Exception: pass
    time.sleep(0.25)
err=p.stderr.read()
agg={}
for (pid,t,name),v in last.items():
    k=name if not name.startswith('C2') and not name.startswith('C1') else name[:2]+' compiler'
    agg[k]=agg.get(k,0)+v
main=max(((v,(pid,t,name)) for (pid,t,name),v in last.items() if name=='java'),default=(0,None))[0]
ra=sum(v for (pid,t,name),v in last.items() if name.startswith('hicache-read'))
wall=re.search(r'"wall_seconds":([0-9.]+)',open(out).read())
print('main %.2f s  read-ahead %.2f s  jit %.2f s  vm %.2f s | %s | replay wall %s'%(main,ra,agg.get('C2 compiler',0)+agg.get('C1 compiler',0),agg.get('VM Thread',0),err.strip().splitlines()[-1],wall.group(1) if wall else '?'))
