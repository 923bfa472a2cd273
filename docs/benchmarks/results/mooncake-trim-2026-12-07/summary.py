import sys,re,statistics as st
# usage: agg.py label file... ; prints per op: forks, medians of fork p50/p99, ratio medians [min,max], forks>1.1
rows={}
for f in sys.argv[2:]:
    for line in open(f):
        if not line.startswith('op='): continue
        d=dict(p.split('=',1) for p in line.split())
        b=dict(x.split(':') for x in d['binding_us'].split(',')); a=dict(x.split(':') for x in d['baseline_us'].split(','))
        rows.setdefault(d['op'],[]).append((int(d['samples']),int(d['gcs']),float(b['p50']),float(a['p50']),float(d['ratio_p50']),float(b['p99']),float(a['p99']),float(d['ratio_p99']),float(b['p999']),float(a['p999']),float(d['ratio_p999'])))
for op,r in sorted(rows.items()):
    c=lambda i:[x[i] for x in r]
    m=lambda i:st.median(c(i))
    sp=lambda i:"%.2f [%.2f–%.2f]"%(m(i),min(c(i)),max(c(i)))
    print("| %s | %s | %d | %.1f M | %d | %.2f / %.2f | %s | %.2f / %.2f | **%s** | %d | %.1f / %.1f | %s |"%(sys.argv[1],op,len(r),sum(c(0))/1e6,sum(c(1)),m(2),m(3),sp(4),m(5),m(6),sp(7),sum(1 for x in c(7) if x>1.1),m(8),m(9),sp(10)))
    gaps=[1000*(x[2]-x[3]) for x in r]
    print("   p99 ratios sorted:", sorted(c(7)), " p50 ratios:", sorted(c(4)), " p50 gap ns median %.0f [%.0f, %.0f]"%(st.median(gaps),min(gaps),max(gaps)))
