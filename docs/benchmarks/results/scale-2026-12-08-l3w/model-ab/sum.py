# per-round differences of the ModelAB output: new - main, new - prev (round 0 dropped as warm-up)
import sys,re,statistics as st
r={}
for l in open(sys.argv[1]):
    m=re.match(r'round (\d+) (\w+) cpu ([\d.]+)',l)
    if m: r.setdefault(int(m.group(1)),{})[m.group(2)]=float(m.group(3))
rs=[v for k,v in sorted(r.items()) if k>0]
med={n:st.median([v[n] for v in rs if n in v]) for n in ('main','prev','new','null') if any(n in v for v in rs)}
print('rounds',len(rs),' medians',' '.join('%s %.3f'%(k,v) for k,v in med.items()))
for a in ('main','prev'):
    if a not in med: continue
    d=[v['new']-v[a] for v in rs if a in v]
    print('  new-%s per round: %s  median %+.3f (%+.1f%%), lower in %d of %d'%(a,' '.join('%+.2f'%x for x in d),st.median(d),100*st.median(d)/med[a],sum(x<0 for x in d),len(d)))
