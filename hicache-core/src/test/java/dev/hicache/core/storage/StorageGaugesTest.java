package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.sim.CostModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The storage controller's gauges are set when their value changes, not on every tick
 * (docs/benchmarks.md, observability overhead): no two consecutive sets of {@code
 * prefetch_tokens_occupied} or {@code hicache_l3_write_without_read_alarm} carry the same value,
 * and the last set is the value at the end.
 */
class StorageGaugesTest {
  /** Records every value given to the two gauges, in order (a test double). */
  static final class GaugeRecordingSinkDouble implements MetricsSink {
    final List<Long> occupied = new ArrayList<>();
    final List<Long> alarm = new ArrayList<>();

    @Override public void count(String name, String label, long delta) {}

    @Override public void gauge(String name, String label, long value) {
      if (name.equals(StorageMetrics.PREFETCH_TOKENS_OCCUPIED)) occupied.add(value);
      if (name.equals(StorageMetrics.WRITE_WITHOUT_READ_ALARM)) alarm.add(value);
    }

    @Override public void observe(String name, String label, double value) {}
  }

  @Test void gaugesAreSetOnChangeOnly_andEndAtTheFinalValue() {
    int ps = 16;
    GaugeRecordingSinkDouble sink = new GaugeRecordingSinkDouble();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(ps).prefetchThreshold(2 * ps).build();
    SplittableRandom r = new SplittableRandom(17);
    // A few conversations whose turns extend earlier prompts: prefetches start, tick and end.
    int[][] prompts = new int[60][];
    int[][] last = new int[6][0];
    for (int i = 0; i < prompts.length; i++) {
      int c = i % last.length;
      int[] p = java.util.Arrays.copyOf(last[c], last[c].length + 40 + r.nextInt(80));
      for (int j = last[c].length; j < p.length; j++) p[j] = r.nextInt(50_000);
      prompts[i] = p;
      last[c] = p;
    }
    try (HiCache cache = HiCache.builder(config).metadataOnly(KvShape.mha(2, 2, 16, DType.BF16, ps), 96 * ps, 192 * ps)
        .deterministic(CostModel.pcieGen5()).storage(new MapL3StoreDouble()).metrics(sink).build()) {
      for (int i = 0; i < prompts.length; i++) {
        int[] p = prompts[i];
        cache.enqueue(i, p);
        cache.poll();
        for (int k = 0; k < 1000 && !cache.readyToAdmit(i); k++) {
          if (!cache.deterministicShell().runNext()) break;
          cache.poll();
        }
        CacheRequest q = cache.admit(i, p, 0);
        if (cache.extend(q, p.length)) cache.finish(q, p, p.length);
        else cache.abort(q);
        cache.poll();
      }
      cache.deterministicShell().drain();
      cache.poll();
    }
    assertThat(sink.occupied).as("prefetches started and ended").hasSizeGreaterThan(2);
    for (int i = 1; i < sink.occupied.size(); i++) {
      assertThat(sink.occupied.get(i)).as("set %d repeats set %d", i, i - 1).isNotEqualTo(sink.occupied.get(i - 1));
    }
    assertThat(sink.occupied.getLast()).as("nothing is occupied once every prefetch ended").isZero();
    assertThat(sink.alarm).isNotEmpty();
    for (int i = 1; i < sink.alarm.size(); i++) assertThat(sink.alarm.get(i)).isNotEqualTo(sink.alarm.get(i - 1));
  }
}
