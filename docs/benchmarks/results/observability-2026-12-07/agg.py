import csv, glob, os, re, sys, statistics as st, math
d = sys.argv[1]
rows = {}
for f in glob.glob(os.path.join(d, 'r*-*.csv')):
    r, m = re.match(r'r(\d+)-(.+)\.csv', os.path.basename(f)).groups()
    for row in csv.DictReader(open(f)):
        name = row['Benchmark']
        key = 'wall' if name.endswith('replay') else name.split(':')[-1]
        rows.setdefault(m, {}).setdefault(int(r), {})[key] = float(row['Score'])
modes = sys.argv[2:]
base = modes[0]
T = {2:12.71,3:4.30,4:3.18,5:2.78,6:2.57,7:2.45,8:2.36,9:2.31,10:2.26,11:2.23,12:2.20,13:2.18,14:2.16,15:2.14,16:2.13,20:2.09,30:2.05}
def t(n): return T.get(n, 2.0)
for metric in ['·cpu.per.op', 'wall', 'gc.alloc.rate.norm']:
    print(f'## {metric}')
    for m in modes:
        vals = [rows[m][r][metric] for r in sorted(rows[m]) if metric in rows[m][r]]
        line = f'{m:10s} n={len(vals)} mean={st.mean(vals):.3f} sd={st.stdev(vals) if len(vals)>1 else 0:.3f} forks: ' + ' '.join(f'{v:.2f}' if metric!='gc.alloc.rate.norm' else f'{v/1e6:.3f}M' for v in vals)
        if m != base:
            common = sorted(set(rows[m]) & set(rows[base]))
            ratios = [rows[m][r][metric] / rows[base][r][metric] for r in common]
            mr = st.mean(ratios); sd = st.stdev(ratios) if len(ratios) > 1 else 0
            ci = t(len(ratios)) * sd / math.sqrt(len(ratios)) if len(ratios) > 1 else float('nan')
            line += f'\n{"":10s} paired ratio vs {base}: {100*(mr-1):+.2f} % ± {100*ci:.2f} % (95 % CI, {len(ratios)} pairs); ratio of means {100*(st.mean(vals)/st.mean([rows[base][r][metric] for r in common])-1):+.2f} %'
        print(line)
