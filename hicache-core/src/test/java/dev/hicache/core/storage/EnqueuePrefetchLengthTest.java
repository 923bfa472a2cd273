package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.PageHasher;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.HiCache;
import dev.hicache.core.metrics.InMemoryMetrics;
import org.junit.jupiter.api.Test;

/**
 * {@link HiCache#enqueue} asks L3 for every full page of the prompt, as SGLang does: with page 16
 * and threshold 64, a 64-token prompt whose four pages are in L3 starts a prefetch.
 */
class EnqueuePrefetchLengthTest {
  static final int PS = 16;
  static final KvShape SHAPE = KvShape.mha(4, 2, 32, DType.BF16, PS);

  @Test
  void enqueue_promptAMultipleOfThePageSize_prefetchesItsLastPage() {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchThreshold(4 * PS).build();
    MapL3StoreDouble l3 = new MapL3StoreDouble();
    int[] prompt = PrefetchRig.tokens(7, 4 * PS);
    try (HiCache warm = HiCache.builder(config).metadataOnly(SHAPE, 64 * PS, 256 * PS)
        .deterministic(CostModel.pcieGen5()).storage(l3).build()) {
      CacheRequest q = warm.admit(prompt);
      assertThat(warm.extend(q, prompt.length)).isTrue();
      warm.finish(q, prompt, prompt.length);
      for (int k = 0; k < 1000 && warm.poll() + warm.inFlightBackups() > 0; k++) warm.deterministicShell().drain();
    }
    for (var key : new PageHasher(PS).chain(null, prompt, 0, prompt.length)) assertThat(l3.contains(key)).isTrue();
    InMemoryMetrics metrics = new InMemoryMetrics();
    try (HiCache cold = HiCache.builder(config).metadataOnly(SHAPE, 64 * PS, 256 * PS)
        .deterministic(CostModel.pcieGen5()).storage(l3).metrics(metrics).build()) {
      cold.enqueue(1, prompt);
      assertThat(metrics.counter(StorageMetrics.PREFETCH_SKIPPED, "below_threshold")).isZero();
      assertThat(metrics.counter(StorageMetrics.PREFETCH_STARTED)).isEqualTo(1);
      cold.abortQueued(1);
    }
  }
}
