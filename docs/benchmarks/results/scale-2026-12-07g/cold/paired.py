import re,sys,statistics as st
rows=[]
for f in sys.argv[1:]:
  for line in open(f):
    m=re.search(r'\| (\w+) \| main ([\d.]+) s  read-ahead ([\d.]+) s  jit ([\d.]+) s  vm ([\d.]+) s \| [\d.]+ s (\d+) KB ([\d.]+) user [\d.]+ sys \| replay wall ([\d.]+)',line)
    if m: rows.append((m.group(1),float(m.group(2)),float(m.group(7)),float(m.group(8))))
pairs=[(rows[i],rows[i+1]) for i in range(0,len(rows)-1,2)]
for name,idx in (('replay thread CPU',1),('process user CPU',2),('replay wall',3)):
  d=[]
  for a,b in pairs:
    x={a[0]:a[idx],b[0]:b[idx]}
    d.append(x['branch']-x['base'])
  print('%s: branch-base per pair %s; mean %.2f, median %.2f, branch lower in %d of %d'%(name,' '.join('%+.2f'%v for v in d),st.mean(d),st.median(d),sum(v<0 for v in d),len(d)))
