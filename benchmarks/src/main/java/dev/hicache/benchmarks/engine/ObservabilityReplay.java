package dev.hicache.benchmarks.engine;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.events.KvEvent;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.CostModel;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * The engine replay the observability benchmarks time (docs/observability.md#overhead): 400
 * conversations x 6 turns, 64-token pages, each turn the previous prompt plus 200-1,200 new tokens,
 * turn t of every conversation before turn t+1 of any, through one metadata-only {@link HiCache} on
 * the deterministic shell with L1, L2 and an in-memory L3: enqueue, admit, extend, finish and poll
 * per request. A fresh cache per replay.
 *
 * <p>{@code mode}: {@code off} = no metrics sink, no JFR events, no KV event listener; {@code on}
 * = {@link InMemoryMetrics}, JFR events emitted and a KV event listener; {@code recording} is
 * {@code on} (the recording itself is the caller's); {@code metrics}, {@code jfr}, {@code kv} = one
 * of the three alone. The KV listener takes the batch form ({@code kvEventBatches}); {@code
 * on-events} and {@code kv-events} are {@code on} and {@code kv} with the per-event form ({@code
 * kvEvents}), the same work per event.
 *
 * <p>It is a {@link ToLongFunction} of a {@code long[]} (types of {@code java.base}) so that {@link
 * ObservabilityPairedBenchmark} can load one copy per mode in class loaders of their own and call
 * it: {@link #applyAsLong} replays once, returns the tokens hit, and stores in {@code out[0]} the
 * CPU time of the KV-event consumer thread (0 without a listener), read on that thread when it
 * delivers the cache's last event.
 */
public final class ObservabilityReplay implements ToLongFunction<long[]> {
  static final int PS = 64;
  static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);
  static final String[] MODES = {"off", "on", "recording", "metrics", "jfr", "kv", "on-events", "kv-events"};

  private final boolean metrics, jfr, kv, perEvent;
  /**
   * The KV events' hand-over age in milliseconds ({@code HiCache.Builder.kvEventHandOverAge}), from
   * {@code -Dhicache.bench.kvHandOverAgeMs}; the engine's default when absent.
   */
  static final double HAND_OVER_AGE_MS = Double.parseDouble(System.getProperty("hicache.bench.kvHandOverAgeMs", "-1"));
  private final int[][] prompts;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  /** Events delivered, all replays (kept, so that the listener's work is not dead code). */
  private long events;
  /** Sum of the page keys' low words, stored minus removed, and device events: the listener's work. */
  private long keySum, deviceStored, deviceRemoved;
  /** The consumer thread's CPU time at the cache's last event, written on that thread. */
  private volatile long consumerCpu;
  /**
   * Each consumer thread's CPU time at the last event it delivered, by thread id: a thread that
   * delivers for one cache after another (a reused one) is charged, at each cache's last event, its
   * CPU time since the previous cache's last event; a new thread since its start.
   */
  private final ConcurrentHashMap<Long, Long> consumerCpuSeen = new ConcurrentHashMap<>();

  public ObservabilityReplay(String mode) {
    if (!Arrays.asList(MODES).contains(mode)) {
      throw new IllegalArgumentException("mode must be one of " + Arrays.toString(MODES) + ", got " + mode);
    }
    perEvent = mode.endsWith("-events");
    boolean all = mode.equals("on") || mode.equals("recording") || mode.equals("on-events");
    metrics = all || mode.equals("metrics");
    jfr = all || mode.equals("jfr");
    kv = all || mode.startsWith("kv");
    prompts = prompts();
  }

  static int[][] prompts() {
    SplittableRandom r = new SplittableRandom(20261207L);
    int conversations = 400, turns = 6;
    int[][][] conv = new int[conversations][turns][];
    for (int c = 0; c < conversations; c++) {
      int[] prev = new int[0];
      for (int t = 0; t < turns; t++) {
        int add = 200 + r.nextInt(1000);
        int[] p = Arrays.copyOf(prev, prev.length + add);
        for (int i = prev.length; i < p.length; i++) p[i] = r.nextInt(128_000);
        conv[c][t] = p;
        prev = p;
      }
    }
    int[][] prompts = new int[conversations * turns][];
    int n = 0;
    for (int t = 0; t < turns; t++) {
      int[] order = r.ints(0, conversations).distinct().limit(conversations).toArray();
      for (int c : order) prompts[n++] = conv[c][t];
    }
    return prompts;
  }

  public long events() { return events; }

  /** Consumer thread: its CPU time since the previous cache's last event on it (or its start). */
  private void consumerCpuAtLastEvent() {
    long now = threads.getCurrentThreadCpuTime();
    Long before = consumerCpuSeen.put(Thread.currentThread().threadId(), now);
    consumerCpu = now - (before == null ? 0 : before);
  }

  @Override public long applyAsLong(long[] out) {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    HiCache.Builder b = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS)
        .deterministic(CostModel.pcieGen5()).storage(new MemoryL3Store(1 << 20))
        .metrics(metrics ? new InMemoryMetrics() : MetricsSink.NONE).jfrEvents(jfr);
    consumerCpu = 0;
    if (kv && HAND_OVER_AGE_MS >= 0) b.kvEventHandOverAge(java.time.Duration.ofNanos(Math.round(HAND_OVER_AGE_MS * 1e6)));
    if (kv && !perEvent) {
      // The least a router does with an event: read its kind, tier and every page key (a router
      // would put each key in a map; here each is read and summed, so the work is not dead code).
      b.kvEventBatches(batch -> {
        for (int i = 0, n = batch.size(); i < n; i++) {
          events++;
          switch (batch.kind(i)) {
            case STORED -> {
              if (batch.tier(i) == Tier.DEVICE) deviceStored++;
              for (int j = 0, m = batch.pageCount(i); j < m; j++) keySum += batch.pageKey(i, j).toInt64();
            }
            case REMOVED -> {
              if (batch.tier(i) == Tier.DEVICE) deviceRemoved++;
              for (int j = 0, m = batch.pageCount(i); j < m; j++) keySum -= batch.pageKey(i, j).toInt64();
            }
            // The cache's last event is AllBlocksCleared(host), at close (after device's).
            case CLEARED -> {
              if (batch.tier(i) == Tier.HOST) consumerCpuAtLastEvent();
            }
          }
        }
      });
    } else if (kv) {
      // The same work through the per-event form (modes on-events, kv-events): a KvEvent per event.
      b.kvEvents((KvEvent e) -> {
        events++;
        switch (e) {
          case KvEvent.BlockStored s -> {
            if (s.tier() == Tier.DEVICE) deviceStored++;
            for (PageKey k : s.pageKeys()) keySum += k.toInt64();
          }
          case KvEvent.BlockRemoved r -> {
            if (r.tier() == Tier.DEVICE) deviceRemoved++;
            for (PageKey k : r.pageKeys()) keySum -= k.toInt64();
          }
          // The cache's last event is AllBlocksCleared(host), at close (after device's).
          case KvEvent.AllBlocksCleared c -> {
            if (c.tier() == Tier.HOST) consumerCpuAtLastEvent();
          }
        }
      });
    }
    long cached = 0;
    try (HiCache cache = b.build()) {
      for (int i = 0; i < prompts.length; i++) {
        int[] p = prompts[i];
        cache.enqueue(i, p);
        cache.poll();
        for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) {
          if (!cache.deterministicShell().runNext()) break;
          cache.poll();
        }
        CacheRequest q = cache.admit(i, p, 0);
        cached += q.deviceHitTokens() + q.hostHitTokens();
        if (!cache.extend(q, p.length)) {
          cache.abort(q);
        } else {
          cache.finish(q, p, p.length);
        }
        cache.poll();
      }
      cache.deterministicShell().drain();
    }
    // close() joined the consumer: its last write is visible.
    if (out != null && out.length > 0) out[0] = consumerCpu;
    return cached;
  }
}
