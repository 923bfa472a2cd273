import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.events.KvEventBatch;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.lang.management.*;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/** KV-only replay: out[0]=build, out[1]=loop, out[2]=close (scheduler thread), out[3]=consumer CPU at last event. */
public final class KvReplay implements ToLongFunction<long[]> {
  static final int PS = 64;
  static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
  final boolean kv, kvNull, kvLate; final int[][] prompts;
  final ThreadMXBean tb = ManagementFactory.getThreadMXBean();
  long keySum, events, ds, dr; volatile long consumerCpu;
  final ConcurrentHashMap<Long, Long> seen = new ConcurrentHashMap<>();
  public KvReplay(String mode) { kv = mode.startsWith("kv"); kvNull = mode.equals("kvnull"); kvLate = mode.equals("kvlate"); prompts = prompts(); }
  static int[][] prompts() {
    SplittableRandom r = new SplittableRandom(20261207L);
    int conversations = 400, turns = 6;
    int[][][] conv = new int[conversations][turns][];
    for (int c = 0; c < conversations; c++) { int[] prev = new int[0];
      for (int t = 0; t < turns; t++) { int add = 200 + r.nextInt(1000); int[] p = Arrays.copyOf(prev, prev.length + add);
        for (int i = prev.length; i < p.length; i++) p[i] = r.nextInt(128_000); conv[c][t] = p; prev = p; } }
    int[][] prompts = new int[conversations * turns][]; int n = 0;
    for (int t = 0; t < turns; t++) { int[] order = r.ints(0, conversations).distinct().limit(conversations).toArray();
      for (int c : order) prompts[n++] = conv[c][t]; }
    return prompts;
  }
  void last() { long now = tb.getCurrentThreadCpuTime(); Long b = seen.put(Thread.currentThread().threadId(), now); consumerCpu = now - (b == null ? 0 : b); }
  long inListener; int batches;
  /** Reads only the last event's kind and tier (to find the cache's last event): no page key. */
  void onBatchNull(KvEventBatch batch) {
    batches++; events += batch.size();
    int i = batch.size() - 1;
    if (batch.kind(i) == KvEventBatch.Kind.CLEARED && batch.tier(i) == Tier.HOST) last();
  }
  void onBatch(KvEventBatch batch) {
    long c0 = tb.getCurrentThreadCpuTime(); batches++;
    for (int i = 0, n = batch.size(); i < n; i++) {
      events++;
      switch (batch.kind(i)) {
        case STORED -> { if (batch.tier(i) == Tier.DEVICE) ds++; for (int j = 0, m = batch.pageCount(i); j < m; j++) keySum += batch.pageKey(i, j).toInt64(); }
        case REMOVED -> { if (batch.tier(i) == Tier.DEVICE) dr++; for (int j = 0, m = batch.pageCount(i); j < m; j++) keySum -= batch.pageKey(i, j).toInt64(); }
        case CLEARED -> { if (batch.tier(i) == Tier.HOST) last(); }
      }
    }
    inListener += tb.getCurrentThreadCpuTime() - c0;
  }
  @Override public long applyAsLong(long[] out) {
    long t0 = tb.getCurrentThreadCpuTime();
    consumerCpu = 0;
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).metrics(MetricsSink.NONE).jfrEvents(false);
    if (kvLate) b.kvEventHandOverAge(java.time.Duration.ofHours(1));
    if (kvNull) b.kvEventBatches(this::onBatchNull); else if (kv) b.kvEventBatches(this::onBatch);
    HiCache cache = b.build();
    long t1 = tb.getCurrentThreadCpuTime();
    long cached = 0;
    for (int i = 0; i < prompts.length; i++) {
      int[] p = prompts[i];
      cache.enqueue(i, p); cache.poll();
      for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) { if (!cache.deterministicShell().runNext()) break; cache.poll(); }
      CacheRequest q = cache.admit(i, p, 0);
      cached += q.deviceHitTokens() + q.hostHitTokens();
      if (!cache.extend(q, p.length)) cache.abort(q); else cache.finish(q, p, p.length);
      cache.poll();
    }
    cache.deterministicShell().drain();
    long t2 = tb.getCurrentThreadCpuTime();
    cache.close();
    long t3 = tb.getCurrentThreadCpuTime();
    out[0] += t1 - t0; out[1] += t2 - t1; out[2] += t3 - t2; out[3] += consumerCpu; if (out.length > 5) { out[4] += inListener; out[5] += batches; } inListener = 0; batches = 0;
    return cached;
  }
}
