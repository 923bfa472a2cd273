import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.util.*;
import java.lang.management.*;

/** Records one replay's sink calls (handles as handles), then replays them on fresh InMemoryMetrics. */
public class SinkReplay {
  record Call(int op, String name, String label, long v, double d, int handle) {}
  public static void main(String[] a) throws Exception {
    var m = Class.forName("dev.hicache.benchmarks.engine.ObservabilityReplay").getDeclaredMethod("prompts");
    m.setAccessible(true);
    int[][] prompts = (int[][]) m.invoke(null);
    List<Call> calls = new ArrayList<>();
    List<String[]> handles = new ArrayList<>();
    MetricsSink sink = new MetricsSink() {
      public void count(String n, String l, long d) { calls.add(new Call(0, n, l, d, 0, -1)); }
      public void gauge(String n, String l, long v) { calls.add(new Call(1, n, l, v, 0, -1)); }
      public void observe(String n, String l, double v) { calls.add(new Call(2, n, l, 0, v, -1)); }
      public Counter counterHandle(String n, String l) { int h = handles.size(); handles.add(new String[]{"c", n, l}); calls.add(new Call(3, n, l, 0, 0, h)); return d -> calls.add(new Call(5, n, l, d, 0, h)); }
      public Gauge gaugeHandle(String n, String l) { int h = handles.size(); handles.add(new String[]{"g", n, l}); calls.add(new Call(4, n, l, 0, 0, h)); return v -> calls.add(new Call(6, n, l, v, 0, h)); }
    };
    int PS = 64;
    KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).metrics(sink).jfrEvents(false);
    try (HiCache cache = b.build()) {
      for (int i = 0; i < prompts.length; i++) {
        int[] p = prompts[i];
        cache.enqueue(i, p); cache.poll();
        for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) {
          if (!cache.deterministicShell().runNext()) break;
          cache.poll();
        }
        CacheRequest q = cache.admit(i, p, 0);
        if (!cache.extend(q, p.length)) cache.abort(q); else cache.finish(q, p, p.length);
        cache.poll();
      }
      cache.deterministicShell().drain();
    }
    Call[] cs = calls.toArray(new Call[0]);
    System.out.println("calls " + cs.length + " handles " + handles.size());
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    int reps = Integer.parseInt(a[0]);
    boolean reuse = a.length > 1 && a[1].equals("reuse");
    InMemoryMetrics shared = new InMemoryMetrics();
    long sinkHash = 0;
    for (int r = 0; r < reps; r++) {
      long t0 = tb.getCurrentThreadCpuTime();
      InMemoryMetrics s = reuse ? shared : new InMemoryMetrics();
      Object[] hs = new Object[handles.size()];
      long t1 = 0; int idx = 0;
      for (Call c : cs) {
        switch (c.op) {
          case 0 -> s.count(c.name, c.label, c.v);
          case 1 -> s.gauge(c.name, c.label, c.v);
          case 2 -> s.observe(c.name, c.label, c.d);
          case 3 -> hs[c.handle] = s.counterHandle(c.name, c.label);
          case 4 -> hs[c.handle] = s.gaugeHandle(c.name, c.label);
          case 5 -> ((MetricsSink.Counter) hs[c.handle]).add(c.v);
          case 6 -> ((MetricsSink.Gauge) hs[c.handle]).set(c.v);
        }
      }
      long t2 = tb.getCurrentThreadCpuTime();
      sinkHash += s.counters().size();
      if (r >= reps - 5 || r % (reps / 5) == 0) System.out.printf("rep %d: %.1f us%n", r, (t2 - t0) / 1e3);
    }
    System.out.println(sinkHash);
  }
}
