package dev.hicache.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.DeterministicShell;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.engine.InMemoryL3StoreDouble;
import dev.hicache.core.sim.CostModel;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One InMemoryMetrics outliving several caches built one after another: every counter reads as the
 * sum of the caches' runs, and each counter holds one handle cell, not one per cache (the engine
 * gives its handles' cells back when a cache closes, docs/observability.md#metrics).
 */
class SinkSharedByCachesTest {
  private static final int PS = 64;
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, PS);

  /** Replays the same 60 prompts (shared prefixes, L3 attached) on a new cache reporting to {@code metrics}, then closes it. */
  private static void run(InMemoryMetrics metrics) {
    Random rnd = new Random(11);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(2 * PS).build();
    try (HiCache c = HiCache.builder(config).metadataOnly(SHAPE, 32 * PS, 64 * PS).deterministic(CostModel.pcieGen5())
        .storage(new InMemoryL3StoreDouble()).metrics(metrics).build()) {
      DeterministicShell shell = c.deterministicShell();
      int[] history = new int[0];
      for (int i = 0; i < 60; i++) {
        if (i % 3 == 0) history = new int[0];
        int[] p = Arrays.copyOf(history, history.length + 100 + rnd.nextInt(300));
        for (int k = history.length; k < p.length; k++) p[k] = rnd.nextInt(32_000);
        history = p;
        c.enqueue(i, p);
        c.poll();
        for (int k = 0; k < 1000 && !c.readyToAdmit(i); k++) {
          if (!shell.runNext()) break;
          c.poll();
        }
        CacheRequest r = c.admit(i, p, 0);
        if (c.extend(r, p.length)) c.finish(r, p, p.length);
        else c.abort(r);
        c.poll();
      }
      shell.drain();
    }
  }

  @Test void cachesBuiltInTurn_onOneSink_countTheSum_andHoldOneCellPerCounter() {
    InMemoryMetrics once = new InMemoryMetrics();
    run(once);
    InMemoryMetrics shared = new InMemoryMetrics();
    for (int i = 0; i < 3; i++) run(shared);
    Map<String, Long> one = once.counters();
    // The engine's handle counters, of the cache and of its storage controller, were reported.
    assertThat(one).containsKeys("prompt_tokens", "cached_tokens{device}", "hicache_tp_consensus_ticks",
        "hicache_prefetch_started", "hicache_l3_pages{write}");
    assertThat(shared.counters().keySet()).isEqualTo(one.keySet());
    for (Map.Entry<String, Long> e : one.entrySet()) {
      String key = e.getKey();
      int brace = key.indexOf('{');
      String name = brace < 0 ? key : key.substring(0, brace);
      String label = brace < 0 ? null : key.substring(brace + 1, key.length() - 1);
      assertThat(shared.counter(name, label)).as(key).isEqualTo(3 * e.getValue());
      assertThat(shared.counterCells(name, label)).as("cells of %s", key).isLessThanOrEqualTo(1);
    }
    // The distributions the engine observes through handles: three times the observations, one cell each.
    for (String[] d : new String[][] {{"hicache_prefetch_duration_seconds", "unfulfilled"}, {"backup_pgs", null},
        {"hicache_backup_duration_seconds", null}}) {
      InMemoryMetrics.Summary s1 = once.distribution(d[0], d[1]);
      assertThat(s1.count()).as("%s{%s} observed", d[0], d[1]).isPositive();
      InMemoryMetrics.Summary s3 = shared.distribution(d[0], d[1]);
      assertThat(s3.count()).as("%s{%s}", d[0], d[1]).isEqualTo(3 * s1.count());
      assertThat(s3.sum()).isCloseTo(3 * s1.sum(), org.assertj.core.data.Offset.offset(1e-9 * Math.abs(s1.sum()) + 1e-12));
      assertThat(s3.min()).isEqualTo(s1.min());
      assertThat(s3.max()).isEqualTo(s1.max());
      assertThat(shared.distributionCells(d[0], d[1])).as("cells of %s{%s}", d[0], d[1]).isEqualTo(1);
    }
  }
}
