# usage: rounds.py FILE... -> per build: mean of each figure; per round: each build minus base (the first build named base)
import re,sys,statistics as st,collections
runs=[]
for f in sys.argv[1:]:
  for line in open(f):
    m=re.search(r'\| (\S+) \| main ([\d.]+) s  read-ahead ([\d.]+) s  jit ([\d.]+) s  vm ([\d.]+) s \| [\d.]+ s (\d+) KB ([\d.]+) user ([\d.]+) sys \| replay wall ([\d.]+)',line)
    if m: runs.append((m.group(1),{'replay thread CPU':float(m.group(2)),'read-ahead CPU':float(m.group(3)),'JIT CPU':float(m.group(4)),
      'process CPU':float(m.group(7))+float(m.group(8)),'sys CPU':float(m.group(8)),'replay wall':float(m.group(9)),'RSS MB':int(m.group(6))/1024}))
names=list(dict.fromkeys(n for n,_ in runs)); per=len(names)
rounds=[runs[i:i+per] for i in range(0,len(runs)-per+1,per)]
for fig in runs[0][1]:
  line=fig+':'
  for n in names:
    v=[r[fig] for b,r in runs if b==n]; line+='  %s %s (mean %.2f)'%(n,' '.join('%.2f'%x for x in v),st.mean(v))
  print(line)
  for n in names:
    if n=='base': continue
    d=[dict(rd)[n][fig]-dict(rd)['base'][fig] for rd in rounds]
    print('   %s - base per round: %s; mean %+.2f, lower in %d of %d'%(n,' '.join('%+.2f'%x for x in d),st.mean(d),sum(x<0 for x in d),len(d)))
