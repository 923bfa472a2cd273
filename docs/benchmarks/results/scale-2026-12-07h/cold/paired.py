# usage: paired.py cold-*.txt -> per-pair differences (branch - base) of each thread's CPU and the replay wall
import re,sys,statistics as st
rows=[]
for f in sys.argv[1:]:
  for line in open(f):
    m=re.search(r'\| (\w+) \| main ([\d.]+) s  read-ahead ([\d.]+) s  jit ([\d.]+) s  vm ([\d.]+) s \| [\d.]+ s (\d+) KB ([\d.]+) user ([\d.]+) sys \| replay wall ([\d.]+)',line)
    if m: rows.append((m.group(1),float(m.group(2)),float(m.group(3)),float(m.group(4)),float(m.group(7))+float(m.group(8)),float(m.group(9))))
pairs=[(rows[i],rows[i+1]) for i in range(0,len(rows)-1,2)]
for name,idx in (('replay thread CPU',1),('read-ahead thread CPU',2),('JIT CPU',3),('process CPU (user+sys)',4),('replay wall',5)):
  base=[a[idx] if a[0]=='base' else b[idx] for a,b in pairs]; br=[a[idx] if a[0]=='branch' else b[idx] for a,b in pairs]
  d=[x-y for x,y in zip(br,base)]
  print('%s: base mean %.2f, branch mean %.2f; branch-base per pair %s; mean %+.2f, median %+.2f, branch lower in %d of %d'%(name,st.mean(base),st.mean(br),' '.join('%+.2f'%v for v in d),st.mean(d),st.median(d),sum(v<0 for v in d),len(d)))
