import java.net.*; import java.nio.file.*; import java.util.*; import java.util.function.*;
import java.lang.management.*;
/**
 * A diagnostic, not a benchmark (docs/benchmarks.md, observability overhead, session 20): replays
 * ObservabilityReplay in the given modes, each in a class loader of its own, round-robin with a GC
 * before each, and prints per replay the benchmark thread's CPU, the KV consumer's CPU, its
 * context switches (/proc), and in diagnostic builds (fields DIAG_*, not committed) the CPU inside
 * the listener and inside the publisher's deliver.
 * Usage: java -XX:+UseSerialGC -Xmn1g -XX:+AlwaysPreTouch Diag.java JAR off,kv WARMUP MEASURED
 */
public class Diag2 {
  static ToLongFunction<long[]> load(String mode, String cp) throws Exception {
    String[] e = cp.split(":"); URL[] u = new URL[e.length];
    for (int i = 0; i < e.length; i++) u[i] = Path.of(e[i]).toUri().toURL();
    ClassLoader l = new URLClassLoader("r-" + mode, u, ClassLoader.getPlatformClassLoader());
    Class<?> c = Class.forName("dev.hicache.benchmarks.engine.ObservabilityReplay", true, l);
    return (ToLongFunction<long[]>) c.getConstructor(String.class).newInstance(mode);
  }
  static long[] ctx(String namePrefix) throws Exception {
    long v = 0, nv = 0;
    try (var ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : ds) {
        String comm = Files.readString(t.resolve("comm")).trim();
        if (!comm.startsWith(namePrefix)) continue;
        for (String line : Files.readAllLines(t.resolve("status"))) {
          if (line.startsWith("voluntary_ctxt_switches")) v += Long.parseLong(line.split("\\s+")[1]);
          if (line.startsWith("nonvoluntary_ctxt_switches")) nv += Long.parseLong(line.split("\\s+")[1]);
        }
      }
    }
    return new long[] {v, nv};
  }
  /** A diagnostic build's counter (an AtomicLong field), 0 in a build without it. */
  static long diag(Class<?> c, String field) throws Exception {
    try {
      return ((java.util.concurrent.atomic.AtomicLong) c.getField(field).get(null)).get();
    } catch (NoSuchFieldException e) {
      return 0;
    }
  }

  public static void main(String[] a) throws Exception {
    String cp = a[0]; String[] modes = a[1].split(","); int warm = Integer.parseInt(a[2]), meas = Integer.parseInt(a[3]);
    ToLongFunction<long[]>[] r = new ToLongFunction[modes.length];
    for (int i = 0; i < modes.length; i++) r[i] = load(modes[i], cp);
    ThreadMXBean tb0 = ManagementFactory.getThreadMXBean();
    java.util.function.LongSupplier cpuClock = tb0::getCurrentThreadCpuTime;
    Class<?>[] pubs = new Class<?>[modes.length];
    for (int i = 0; i < modes.length; i++) { pubs[i] = Class.forName("dev.hicache.core.events.KvEventPublisher", true, r[i].getClass().getClassLoader()); try { pubs[i].getField("DIAG_CPU").set(null, cpuClock); } catch (NoSuchFieldException e) { pubs[i] = null; } }
    double[] dl = new double[modes.length], wk = new double[modes.length], pk = new double[modes.length]; long[] pk0 = new long[modes.length];
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    double[] lis = new double[modes.length], bat = new double[modes.length], cpu = new double[modes.length], cons = new double[modes.length], cv = new double[modes.length], cnv = new double[modes.length], mv = new double[modes.length], mnv = new double[modes.length];
    long[] out = new long[1];
    String me = Thread.currentThread().getName();
    for (int it = 0; it < warm + meas; it++) {
      for (int k = 0; k < modes.length; k++) {
        int i = (k + it) % modes.length;
        System.gc();
        long l0 = diag(r[i].getClass(), "DIAG_IN_LISTENER"), b0 = diag(r[i].getClass(), "DIAG_BATCHES");
        long dl0 = pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_DELIVER").get(null)).get(), wk0 = pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_WAKE").get(null)).get();
        long[] c0 = ctx("hicache-kv"), m0 = ctx("java"); pk0[i] = pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_PARKCPU").get(null)).get();
        long t0 = tb.getCurrentThreadCpuTime();
        r[i].applyAsLong(out);
        long t1 = tb.getCurrentThreadCpuTime();
        long[] c1 = ctx("hicache-kv"), m1 = ctx("java");
        long l1 = diag(r[i].getClass(), "DIAG_IN_LISTENER"), b1 = diag(r[i].getClass(), "DIAG_BATCHES");
        long dl1 = pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_DELIVER").get(null)).get(), wk1 = pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_WAKE").get(null)).get();
        if (it >= warm) { dl[i] += (dl1 - dl0) / 1e6 / meas; wk[i] += (wk1 - wk0) / (double) meas; pk[i] += (pubs[i] == null ? 0 : ((java.util.concurrent.atomic.AtomicLong) pubs[i].getField("DIAG_PARKCPU").get(null)).get() - pk0[i]) / 1e6 / meas; lis[i] += (l1 - l0) / 1e6 / meas; bat[i] += (b1 - b0) / (double) meas;
          cpu[i] += (t1 - t0) / 1e6 / meas; cons[i] += out[0] / 1e6 / meas;
          cv[i] += (c1[0] - c0[0]) / (double) meas; cnv[i] += (c1[1] - c0[1]) / (double) meas;
          mv[i] += (m1[0] - m0[0]) / (double) meas; mnv[i] += (m1[1] - m0[1]) / (double) meas;
        }
      }
    }
    for (int i = 0; i < modes.length; i++)
      System.out.printf("%-10s thread %.3f ms consumer %.3f ms total %.3f | deliver %.3f ms, park-wakes %.1f park-cpu %.3f ms | in listener %.3f ms, %.1f batches | consumer ctx vol %.1f invol %.1f | main ctx vol %.1f invol %.1f%n",
        modes[i], cpu[i], cons[i], cpu[i] + cons[i], dl[i], wk[i], pk[i], lis[i], bat[i], cv[i], cnv[i], mv[i], mnv[i]);
  }
}
