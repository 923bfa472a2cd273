# Wraps LocalLruL3Model's three batch calls with the thread's CPU time (ThreadMXBean), summed per call
# kind and printed at exit: the model's own CPU in a full replay. Usage: patch.py FILE (in place).
import sys
p=sys.argv[1]
s=open(p).read()
for m,sig,args,i in [('batchExists','int batchExists(List<PageKey> keys)','keys',0),
                   ('batchGet','boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets)','keys, targets',1),
                   ('batchSet','boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources)','keys, sources',2)]:
    old='@Override public synchronized '+sig
    assert s.count(old)==1
    s=s.replace(old,'''@Override public synchronized %s {
    long t0 = MX.getCurrentThreadCpuTime();
    try { return %s0(%s); } finally { T[%d] += MX.getCurrentThreadCpuTime() - t0; C[%d]++; }
  }
  private %s''' % (sig, m, args, i, i, sig.replace(m+'(', m+'0(')))
s=s.replace('public final class LocalLruL3Model implements L3Store {','''public final class LocalLruL3Model implements L3Store {
  static final java.lang.management.ThreadMXBean MX = java.lang.management.ManagementFactory.getThreadMXBean();
  static final long[] T = new long[3], C = new long[3];
  static { Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.printf("MODELCPU exists %.3f s (%d) get %.3f s (%d) set %.3f s (%d) total %.3f s%n", T[0]/1e9, C[0], T[1]/1e9, C[1], T[2]/1e9, C[2], (T[0]+T[1]+T[2])/1e9))); }''')
open(p,'w').write(s)
