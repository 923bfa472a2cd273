# per-pair differences (branch - base) of cold.sh output lines: replay-thread CPU ("main") and replay wall_seconds
import sys,re,statistics as st
for f in sys.argv[1:]:
    rows=[]
    for l in open(f):
        m=re.search(r'\| (base|branch) \| main ([\d.]+) s .*replay wall ([\d.]+)',l)
        if m: rows.append((m.group(1),float(m.group(2)),float(m.group(3))))
    pairs=[rows[i:i+2] for i in range(0,len(rows)-1,2)]
    dc=[];dw=[]
    for p in pairs:
        d={r[0]:r for r in p}
        dc.append(d['branch'][1]-d['base'][1]); dw.append(d['branch'][2]-d['base'][2])
    print(f, 'pairs',len(pairs))
    print('  base replay-thread CPU %s | branch %s'%(' '.join('%.2f'%r[1] for r in rows if r[0]=='base'),' '.join('%.2f'%r[1] for r in rows if r[0]=='branch')))
    print('  CPU branch-base per pair: %s  median %+.2f s, lower in %d of %d'%(' '.join('%+.2f'%x for x in dc),st.median(dc),sum(x<0 for x in dc),len(dc)))
    print('  wall branch-base per pair: %s  median %+.2f s'%(' '.join('%+.2f'%x for x in dw),st.median(dw)))
