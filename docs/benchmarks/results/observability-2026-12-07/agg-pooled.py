# Pools paired rounds of several interleave-jars.sh folders: mean of per-round ratios with a 95 % t
# interval (normal 1.96 beyond 30 pairs; 2.06 for 25-26). Usage: agg-pooled.py METRIC BASE MODE DIR...
import csv, glob, os, re, sys, statistics as st, math
metric, base, mode = sys.argv[1:4]
ratios = []
for d in sys.argv[4:]:
    rows = {}
    for f in glob.glob(os.path.join(d, 'r*-*.csv')):
        r, m = re.match(r'r(\d+)-(.+)\.csv', os.path.basename(f)).groups()
        for row in csv.DictReader(open(f)):
            name = row['Benchmark']
            key = 'wall' if name.endswith('replay') else name.split(':')[-1]
            if key == metric: rows.setdefault(m, {})[int(r)] = float(row['Score'])
    for r in sorted(set(rows.get(base, {})) & set(rows.get(mode, {}))):
        ratios.append(rows[mode][r] / rows[base][r])
n = len(ratios); mr = st.mean(ratios); sd = st.stdev(ratios)
t = 2.06 if n in (25, 26) else (1.96 if n > 30 else 2.1)
print(f'{mode} vs {base} ({metric}): {100*(mr-1):+.2f} % ± {100*t*sd/math.sqrt(n):.2f} % (95 % CI, {n} pairs)')
