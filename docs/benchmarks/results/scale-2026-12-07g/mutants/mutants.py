import subprocess, sys, re, os
W='/work/wt/l3log'
P=W+'/simulator/src/main/java/dev/hicache/simulator/l3/LocalLruL3Model.java'
orig=open(P).read()
bugs=[
 ('B1 an eviction takes the oldest record even when it is stale',
  '''    do position = first++; while (log.get(INT, (position & logMask) * LINE + SHAPE_AT) == STALE_SHAPE);''',
  '''    position = first++;'''),
 ('B2 compaction moves a record but does not repoint its word',
  '''        buckets.set(INT, word, buckets.get(INT, word) & ~positionMask | (to & positionMask));
        if (overflow != null) {
          overflow[t] = overflow[r];''',
  '''        if (overflow != null) {
          overflow[t] = overflow[r];'''),
 ('B3 compaction drops the oldest live record when it is at the log\'s start',
  '''      if (log.get(INT, r * LINE + SHAPE_AT) == STALE_SHAPE) continue;
      if (to != p) {''',
  '''      if (log.get(INT, r * LINE + SHAPE_AT) == STALE_SHAPE || p == first) continue;
      if (to != p) {'''),
 ('B4 a use of the second newest record does not append (no refresh)',
  '''    if (r == ((next - 1) & logMask)) return;
    if (next - first == logRecords) {''',
  '''    if (((next - 1 - r) & logMask) <= 1) return;
    if (next - first == logRecords) {'''),
 ('B5 a word one position past the log counts as live',
  '''    return ((word - first) & positionMask) < next - first;''',
  '''    return ((word - first) & positionMask) <= next - first;'''),
 ('B7 the word of the page evicted last counts as live',
  '''    return ((word - first) & positionMask) < next - first;''',
  '''    return ((word - first + 1) & positionMask) < next - first + 1;'''),
 ('B6 the sweep drops no dead words',
  '''      dropDead(sweepAt);
      sweepAt''',
  '''      sweepAt'''),
]
only=sys.argv[1:] 
env=dict(os.environ, JAVA_HOME='/usr/lib/jvm/temurin-25-jdk-amd64')
try:
  for name,a,b in bugs:
    if only and name.split()[0] not in only: continue
    assert orig.count(a)==1,name
    open(P,'w').write(orig.replace(a,b))
    r=subprocess.run(['timeout','600','./mvnw','-o','-B','-pl','simulator','test','-Dtest='+os.environ.get('MUT_TESTS','LocalLruL3Model*Test'),'-Dsurefire.failIfNoSpecifiedTests=false'],cwd=W,env=env,capture_output=True,text=True)
    out=r.stdout
    res=re.findall(r'Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: \d+, Time elapsed: [\d.]+ s(?: <<< FAILURE!)? -- in ([\w.]+)',out)
    fails=re.findall(r'\[ERROR\]   ([\w.]+:\d+ [^\n]{0,160})',out)
    print('==',name,'| rc',r.returncode,'(124: killed after 600 s, a hang)' if r.returncode==124 else '')
    for t in res: print('  ',t[3].split('.')[-1],'run',t[0],'failures',t[1],'errors',t[2])
    for f in fails[:4]: print('   ',f)
    sys.stdout.flush()
finally:
  open(P,'w').write(orig)
