import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.lang.management.*;
import java.util.*;
import java.util.function.ToLongFunction;

public final class DiagReplay implements ToLongFunction<long[]> {
  static final int PS = 64;
  static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
  static final boolean KV = Boolean.getBoolean("kv"); static volatile long ks;
  final String mode; final int[][] prompts;
  final ThreadMXBean tb = ManagementFactory.getThreadMXBean();
  InMemoryMetrics shared = new InMemoryMetrics();
  public DiagReplay(String mode) { this.mode = mode; prompts = prompts(); }
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
  static final MetricsSink NULL = new MetricsSink() {
    public void count(String n, String l, long d) {}
    public void gauge(String n, String l, long v) {}
    public void observe(String n, String l, double v) {}
    public Counter counterHandle(String n, String l) { return d -> {}; }
    public Gauge gaugeHandle(String n, String l) { return v -> {}; }
  };
  static final class PC implements MetricsSink.Counter { long v; public void add(long d) { v += d; } }
  static final class PG implements MetricsSink.Gauge { long v; public void set(long x) { v = x; } }
  static final class RC implements MetricsSink.Counter { static final java.lang.invoke.VarHandle V; static { try { V = java.lang.invoke.MethodHandles.lookup().findVarHandle(RC.class, "v", long.class); } catch (Exception e) { throw new Error(e); } } long v; public void add(long d) { V.setRelease(this, v + d); } }
  static final class RG implements MetricsSink.Gauge { final java.util.concurrent.atomic.AtomicLong v = new java.util.concurrent.atomic.AtomicLong(); public void set(long x) { v.lazySet(x); } }
  static MetricsSink plain(boolean release) {
    return new MetricsSink() {
      double sum; long n;
      public void count(String a, String l, long d) { n += d; }
      public void gauge(String a, String l, long v) { n = v; }
      public void observe(String a, String l, double v) { sum += v; }
      public Counter counterHandle(String a, String l) { return release ? new RC() : new PC(); }
      public Gauge gaugeHandle(String a, String l) { return release ? new RG() : new PG(); }
    };
  }
  MetricsSink sink() {
    return switch (mode) { case "none" -> MetricsSink.NONE; case "inmem" -> new InMemoryMetrics(); case "null" -> NULL; case "shared" -> shared; case "plain" -> plain(false); case "release" -> plain(true); default -> throw new IllegalArgumentException(mode); };
  }
  // out[0]=build cpu, out[1]=loop cpu, out[2]=close cpu
  @Override public long applyAsLong(long[] out) {
    long t0 = tb.getCurrentThreadCpuTime();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache cache = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20)).metrics(sink()).jfrEvents(KV).kvEventBatches(KV ? b -> { long x = 0; for (int i = 0; i < b.size(); i++) { b.kind(i); for (int j = 0, m = b.pageCount(i); j < m; j++) x += b.pageKey(i, j).toInt64(); } ks += x; } : null).build();
    long t1 = tb.getCurrentThreadCpuTime();
    long cached = 0;
    long tf = 0;
    for (int i = 0; i < prompts.length; i++) {
      if (i == 200) tf = tb.getCurrentThreadCpuTime();
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
    out[0] += t1 - t0; out[1] += tf - t1; out[2] += t2 - tf; out[3] += t3 - t2;
    return cached;
  }
}
