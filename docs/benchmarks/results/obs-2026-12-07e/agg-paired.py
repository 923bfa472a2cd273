"""Pools the forks of ObservabilityPairedBenchmark runs (docs/benchmarks.md, observability overhead).

Each fork prints PAIR lines (one per measured operation: the order, then for base and for mode the
benchmark thread + KV consumer CPU ns, process CPU ns, consumer CPU ns) and a PAIRED summary. Per
fork this takes the ratio of the CPU sums (mode over base); the forks are the independent units:
mean of the fork ratios with a 95 % t interval. Usage: agg-paired.py FILE...
"""
import math, re, statistics as st, sys

T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23,
       11: 2.20, 12: 2.18, 13: 2.16, 14: 2.14, 15: 2.13, 19: 2.09, 29: 2.05}

def t95(df):
    return T95.get(df, 2.0 if df > 29 else T95[max(k for k in T95 if k <= df)])

def interval(xs):
    m = st.mean(xs)
    if len(xs) < 2: return m, float('nan')
    return m, t95(len(xs) - 1) * st.stdev(xs) / math.sqrt(len(xs))

for f in sys.argv[1:]:
    forks = {}  # (base, mode) -> list of forks, each a list of pairs
    cur = []
    for line in open(f, errors='replace'):
        m = re.search(r'PAIR (\d+) (\S+) base=(\S+) (\d+) (\d+) (\d+) mode=(\S+) (\d+) (\d+) (\d+)', line)
        if m:
            cur.append((m.group(3), m.group(7), [int(m.group(i)) for i in (4, 5, 6, 8, 9, 10)], m.group(2)))
            continue
        if 'PAIRED base=' in line and cur:
            forks.setdefault((cur[0][0], cur[0][1]), []).append(cur)
            cur = []
    for (base, mode), fs in forks.items():
        cpu = [sum(p[2][3] for p in fk) / sum(p[2][0] for p in fk) for fk in fs]
        proc = [sum(p[2][4] for p in fk) / sum(p[2][1] for p in fk) for fk in fs]
        base_ms = st.mean(sum(p[2][0] for p in fk) / len(fk) / 1e6 for fk in fs)
        mode_ms = st.mean(sum(p[2][3] for p in fk) / len(fk) / 1e6 for fk in fs)
        cons_b = st.mean(sum(p[2][2] for p in fk) / len(fk) / 1e6 for fk in fs)
        cons_m = st.mean(sum(p[2][5] for p in fk) / len(fk) / 1e6 for fk in fs)
        m, ci = interval([100 * (r - 1) for r in cpu])
        pm, pci = interval([100 * (r - 1) for r in proc])
        # The order effect: mode's ratio when it ran first against when it ran second.
        first = [p[2][3] / p[2][0] for fk in fs for p in fk if p[3] == 'mode-first']
        second = [p[2][3] / p[2][0] for fk in fs for p in fk if p[3] == 'base-first']
        print(f'{f}: {mode} vs {base}: {len(fs)} forks x {len(fs[0])} pairs; CPU ms/replay (thread + consumer) '
              f'{base} {base_ms:.2f}, {mode} {mode_ms:.2f} (consumer {cons_b:.2f} / {cons_m:.2f}); '
              f'{mode}/{base} {m:+.2f} % ± {ci:.2f} % (95 %, forks); process CPU {pm:+.2f} % ± {pci:.2f} %; '
              f'per fork: ' + ' '.join(f'{100 * (r - 1):+.1f}' for r in cpu)
              + f'; pairs with {mode} first {100 * (st.mean(first) - 1):+.2f} %, second {100 * (st.mean(second) - 1):+.2f} %')
