import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.util.concurrent.atomic.AtomicLong;

public class CountKeys {
  public static void main(String[] a) throws Exception {
    var m = Class.forName("dev.hicache.benchmarks.engine.ObservabilityReplay").getDeclaredMethod("prompts");
    m.setAccessible(true);
    int[][] prompts = (int[][]) m.invoke(null);
    AtomicLong events = new AtomicLong(), keys = new AtomicLong(), batches = new AtomicLong();
    int PS = 64;
    KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).jfrEvents(false)
        .kvEventBatches(bt -> { batches.incrementAndGet(); for (int i = 0; i < bt.size(); i++) { events.incrementAndGet(); keys.addAndGet(bt.pageCount(i)); } });
    long t0 = System.nanoTime();
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
    System.out.println("events " + events + " keys " + keys + " batches " + batches + " ms " + (System.nanoTime() - t0) / 1e6);
  }
}
