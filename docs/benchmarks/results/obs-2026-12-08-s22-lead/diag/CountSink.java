import dev.hicache.api.DType; import dev.hicache.api.KvShape; import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.MetricsSink; import dev.hicache.core.engine.*; import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store; import java.util.*;
public class CountSink {
  public static void main(String[] a) {
    TreeMap<String, long[]> m = new TreeMap<>();
    MetricsSink s = new MetricsSink() {
      void c(String k) { m.computeIfAbsent(k, x -> new long[1])[0]++; }
      public void count(String n, String l, long d) { c("count " + n + "{" + l + "}"); }
      public void gauge(String n, String l, long v) { c("gauge " + n + "{" + l + "}"); }
      public void observe(String n, String l, double v) { c("observe " + n + "{" + l + "}"); }
      public Counter counterHandle(String n, String l) { String k = "hcount " + n + "{" + l + "}"; return d -> c(k); }
      public Gauge gaugeHandle(String n, String l) { String k = "hgauge " + n + "{" + l + "}"; return v -> c(k); }
    };
    int PS = 64; KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
    int[][] prompts = DiagReplay.prompts();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache cache = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).metrics(s).jfrEvents(false).build();
    for (int i = 0; i < prompts.length; i++) {
      int[] p = prompts[i];
      cache.enqueue(i, p); cache.poll();
      for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) { if (!cache.deterministicShell().runNext()) break; cache.poll(); }
      CacheRequest q = cache.admit(i, p, 0);
      if (!cache.extend(q, p.length)) cache.abort(q); else cache.finish(q, p, p.length);
      cache.poll();
    }
    cache.deterministicShell().drain(); cache.close();
    long tot = 0; for (var e : m.entrySet()) { System.out.printf("%8d %s%n", e.getValue()[0], e.getKey()); tot += e.getValue()[0]; }
    System.out.println(tot + " total");
  }
}
