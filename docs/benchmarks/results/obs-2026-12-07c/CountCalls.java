import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.util.*;

public class CountCalls {
  public static void main(String[] a) throws Exception {
    var m = Class.forName("dev.hicache.benchmarks.engine.ObservabilityReplay").getDeclaredMethod("prompts");
    m.setAccessible(true);
    int[][] prompts = (int[][]) m.invoke(null);
    Map<String, long[]> calls = new TreeMap<>();
    MetricsSink sink = new MetricsSink() {
      void c(String k) { calls.computeIfAbsent(k, x -> new long[1])[0]++; }
      public void count(String n, String l, long d) { c("count " + n + "{" + l + "}"); }
      public void gauge(String n, String l, long v) { c("gauge " + n + "{" + l + "}"); }
      public void observe(String n, String l, double v) { c("observe " + n + "{" + l + "}"); }
    };
    int PS = 64;
    KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).metrics(sink).jfrEvents(false);
    long polls = 0;
    try (HiCache cache = b.build()) {
      for (int i = 0; i < prompts.length; i++) {
        int[] p = prompts[i];
        cache.enqueue(i, p); cache.poll(); polls++;
        for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) {
          if (!cache.deterministicShell().runNext()) break;
          cache.poll(); polls++;
        }
        CacheRequest q = cache.admit(i, p, 0);
        if (!cache.extend(q, p.length)) cache.abort(q); else cache.finish(q, p, p.length);
        cache.poll(); polls++;
      }
      cache.deterministicShell().drain();
    }
    long tot = 0;
    for (var e : calls.entrySet()) { tot += e.getValue()[0]; System.out.println(e.getValue()[0] + " " + e.getKey()); }
    System.out.println("total " + tot + " polls " + polls);
  }
}
