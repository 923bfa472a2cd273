# summary of pairs-*.txt: per pair branch minus base (read-ahead thread, process CPU, replay thread), means per build
import re,sys,statistics as st
for f in sys.argv[1:]:
    rows={}
    for l in open(f):
        m=re.match(r'pair (\d+) (\w+) load ([\d.]+).*java=([\d.]+) (?:hicache-read-ah)?=([\d.]+) C2=([\d.]+) C1=([\d.]+) VM Thread=([\d.]+).*total=([\d.]+) wall=([\d.]+).*hwmMB=(\d+)',l)
        rows.setdefault(int(m.group(1)),{})[m.group(2)]=[float(x) for x in m.groups()[2:]]
    # fields: 0 load, 1 replay, 2 read-ahead, 3 C2, 4 C1, 5 GC, 6 total, 7 wall, 8 resident MB
    d=[(r['new'][2]-r['base'][2], r['new'][6]-r['base'][6], r['new'][1]-r['base'][1]) for r in rows.values()]
    print(f'{f}: {len(d)} pairs; branch minus base: read-ahead {[round(x[0],2) for x in d]} (mean {st.mean(x[0] for x in d):+.2f}),'
          f' process {[round(x[1],2) for x in d]} (mean {st.mean(x[1] for x in d):+.2f}), replay thread {[round(x[2],2) for x in d]}')
    for who in ('base','new'):
        v=[r[who] for r in rows.values()]
        mean=lambda i: st.mean(x[i] for x in v)
        print(f'  {who}: read-ahead {mean(2):.2f} ({min(x[2] for x in v)}-{max(x[2] for x in v)}), replay {mean(1):.2f}, JIT {mean(3)+mean(4):.2f}, GC {mean(5):.2f},'
              f' process {mean(6):.2f}, wall {min(x[7] for x in v)}-{max(x[7] for x in v)} s, resident {mean(8):.0f} MB, load {min(x[0] for x in v)}-{max(x[0] for x in v)}')
