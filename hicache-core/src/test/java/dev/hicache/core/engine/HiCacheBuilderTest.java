package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.MemLayout;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.pool.HostMemoryDevicePool;
import dev.hicache.core.pool.OffHeapHostPool;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.CostModel;

class HiCacheBuilderTest {
  @Test void hostNotLargerThanDevice_isRejectedNamingTheFlags() {
    HostMemoryDevicePool d = new HostMemoryDevicePool(EngineScript.SHAPE, 64);
    OffHeapHostPool h = new OffHeapHostPool(EngineScript.SHAPE, MemLayout.LAYER_FIRST, 64);
    try {
      assertThatThrownBy(() -> HiCache.builder(HiCacheConfig.builder().pageSize(4).build()).devicePool(d).hostPool(h).build())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hicacheRatio").hasMessageContaining("hicacheSizeGb").hasMessageNotContaining("--");
      assertThatThrownBy(() -> HiCache.builder(HiCacheConfig.builder().pageSize(8).build()).devicePool(d).build())
          .hasMessageContaining("pageSize 8");
    } finally {
      d.close();
      h.close();
    }
  }

  @Test void cacheIsConfinedToOneThread_andClosedCacheFailsLoudly() throws Exception {
    HiCache cache = HiCache.builder(HiCacheConfig.builder().pageSize(4).build())
        .devicePool(new HostMemoryDevicePool(EngineScript.SHAPE, 64)).deterministic(CostModel.fixed(10)).build();
    CacheRequest r = cache.admit(new int[] {1, 2, 3, 4, 5});
    Throwable[] seen = new Throwable[1];
    Thread t = new Thread(() -> {
      try {
        cache.poll();
      } catch (Throwable e) {
        seen[0] = e;
      }
    });
    t.start();
    t.join();
    assertThat(seen[0]).isInstanceOf(IllegalStateException.class).hasMessageContaining("only one thread");
    cache.abort(r);
    assertThatThrownBy(() -> cache.finish(r, new int[] {1, 2, 3, 4, 5}, 5)).hasMessageContaining("finished or unknown");
    cache.close();
    assertThatThrownBy(() -> cache.admit(new int[] {1})).hasMessageContaining("closed");
  }

  @Test void finish_rejectsTokensThatDoNotStartWithThePrompt_beforeChangingAnything() {
    try (HiCache cache = HiCache.builder(HiCacheConfig.builder().pageSize(4).build())
        .devicePool(new HostMemoryDevicePool(EngineScript.SHAPE, 64)).deterministic(CostModel.fixed(10)).build()) {
      CacheRequest r = cache.admit(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
      assertThat(cache.extend(r, 9)).isTrue();
      assertThatThrownBy(() -> cache.finish(r, new int[] {9, 9, 9, 9, 9, 9, 9, 9, 9}, 9)).hasMessageContaining("start with the request's prompt");
      assertThatThrownBy(() -> cache.finish(r, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 13)).hasMessageContaining("kvTokens").hasMessageContaining("13");
      cache.checkInvariants();
      cache.finish(r, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 9);
      cache.checkInvariants();
      assertThat(cache.deviceCachedTokens()).isEqualTo(8);
      CacheRequest again = cache.admit(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
      assertThat(again.deviceHitTokens()).isEqualTo(8);
      cache.abort(again);
    }
  }
}
