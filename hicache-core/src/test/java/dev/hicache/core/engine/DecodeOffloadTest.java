package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.L3CostModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The decode role's offload: pages written page by page as a request grows are exactly the pages
 * a cold prefill instance over the same L3 prefetches — the full pages of prompt + output, every
 * byte checked against its key; the partial tail is never written.
 */
class DecodeOffloadTest {
  private static final int PAGE = EngineScript.PAGE;

  @Test void pagesOffloadedWhileDecoding_areServedToAColdPrefillInstance() {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    Random rnd = new Random(4);
    int[] tokens = new int[5 * PAGE + 3];
    for (int i = 0; i < tokens.length; i++) tokens[i] = rnd.nextInt(30000);
    List<PageKey> keys = KeyedPages.keys(tokens, tokens.length, PAGE);
    KeyedDevicePoolDouble decodeDevice = new KeyedDevicePoolDouble(EngineScript.SHAPE, 16 * PAGE);
    int[] slots = decodeDevice.alloc(6 * PAGE);
    InMemoryMetrics decodeMetrics = new InMemoryMetrics();
    // The staging pool has the prefill side's host layout: L3 pages are stored in host page order.
    try (OffHeapHostPool staging = new OffHeapHostPool(EngineScript.SHAPE, MemLayout.PAGE_FIRST_DIRECT, 2 * PAGE);
         DecodeOffload offload = new DecodeOffload(decodeDevice, staging, l3, null, decodeMetrics)) {
      DecodeOffload.Request req = offload.request();
      // The prompt (2 pages + 5 tokens), then decode steps one token at a time.
      int stored = 0;
      for (int kv = 2 * PAGE + 5; kv <= tokens.length; kv++) {
        for (int p = 0; p < kv / PAGE; p++) decodeDevice.fillPage(slots[p * PAGE] / PAGE, keys.get(p));
        stored += req.offload(tokens, kv, p -> slots[p]);
      }
      assertThat(stored).isEqualTo(5);
      assertThat(req.pages()).isEqualTo(5);
      assertThat(l3.size()).isEqualTo(5);
      assertThat(decodeMetrics.counter("hicache_decode_offload_pages", "stored")).isEqualTo(5);
      assertThat(staging.availableTokens()).isEqualTo(2 * PAGE);
    }
    // A cold prefill instance over the same L3 serves the next turn's prompt from it.
    int[] next = java.util.Arrays.copyOf(tokens, tokens.length + 9);
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).prefetchThreshold(PAGE).build();
    try (HiCache b = HiCache.builder(config).devicePool(device)
        .hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST_DIRECT, 257 * PAGE))
        .metrics(MetricsSink.NONE).deterministic(CostModel.link(1e9, 1e9, 1_000)).storage(l3)
        .l3Cost(L3CostModel.link(1e9, 1e9, 10_000)).build()) {
      b.enqueue(0, next);
      int guard = 0;
      while (!b.readyToAdmit(0)) {
        if (!b.deterministicShell().runNext()) b.poll();
        assertThat(++guard).isLessThan(10_000);
      }
      CacheRequest r = b.admit(0, next, 0);
      b.deterministicShell().runUntil(() -> r.load().isDone());
      assertThat(r.storageHitTokens()).isEqualTo(5 * PAGE);
      int[] pages = r.devicePages();
      for (int k = 0; k < 5; k++) assertThat(device.pageHolds(pages[k], keys.get(k))).as("page " + k).isTrue();
      b.abort(r);
      b.deterministicShell().drain();
    }
  }

  @Test void closedOffload_refusesWork_andShapesMustMatch() {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 4 * PAGE);
    try (OffHeapHostPool staging = new OffHeapHostPool(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 2 * PAGE)) {
      DecodeOffload offload = new DecodeOffload(device, staging, l3, null, null);
      DecodeOffload.Request req = offload.request();
      assertThatThrownBy(() -> req.offload(new int[4], 5, p -> p)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kvTokens 5");
      offload.close();
      assertThatThrownBy(offload::request).isInstanceOf(IllegalStateException.class);
    }
    assertThatThrownBy(() -> new DecodeOffload(device, null, l3, null, null)).isInstanceOf(IllegalArgumentException.class);
  }
}
