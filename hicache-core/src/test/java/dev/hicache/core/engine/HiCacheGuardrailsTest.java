package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.core.metrics.InMemoryMetrics;
import org.junit.jupiter.api.Test;

/** Misuses of the facade end in a clear exception or a counted event, never a silent spin or loss. */
class HiCacheGuardrailsTest {
  private static final int PAGE = EngineScript.PAGE;

  private static HiCache open(InMemoryMetrics metrics, int devicePages) {
    return HiCache.builder(HiCacheConfig.builder().pageSize(PAGE).build()).metrics(metrics)
        .metadataOnly(EngineScript.SHAPE, devicePages * PAGE, 3 * devicePages * PAGE).build();
  }

  @Test void extend_moreThanTheWholeDevice_neverFitsDistinctly() {
    InMemoryMetrics m = new InMemoryMetrics();
    try (HiCache cache = open(m, 8)) {
      int[] prompt = new int[5 * PAGE];
      CacheRequest r = cache.admit(prompt);
      assertThat(cache.extend(r, 8 * PAGE)).isTrue(); // all of it: fits
      assertThatThrownBy(() -> cache.extend(r, 8 * PAGE + 1)).isInstanceOf(NeverFitsException.class)
          .hasMessageContaining("can never fit").hasMessageContaining("abort");
      assertThatThrownBy(() -> cache.extend(r, Integer.MAX_VALUE)).isInstanceOf(NeverFitsException.class);
      assertThatThrownBy(() -> cache.extend(r, -1)).isInstanceOf(IllegalArgumentException.class)
          .isNotInstanceOf(NeverFitsException.class).hasMessageContaining(">= 0");
      cache.abort(r);
      cache.checkInvariants();
    }
  }

  /** Any count: negative is refused, beyond the pool never fits, else it fits now or after polling. */
  @Test void extend_anyCount_isRefusedOrFitsNeverSpins() {
    qt().withExamples(300).forAll(integers().between(1, 12), integers().between(-100, 100)).checkAssert((pages, ask) -> {
      try (HiCache cache = open(new InMemoryMetrics(), pages)) {
        CacheRequest r = cache.admit(new int[] {1, 2, 3});
        int tokens = ask * 3;
        if (tokens < 0) {
          assertThatThrownBy(() -> cache.extend(r, tokens)).isInstanceOf(IllegalArgumentException.class);
        } else if (tokens > pages * PAGE) {
          assertThatThrownBy(() -> cache.extend(r, tokens)).isInstanceOf(NeverFitsException.class);
        } else {
          assertThat(cache.extend(r, tokens)).isTrue(); // the cache is empty: it fits at once
        }
        cache.abort(r);
        cache.checkInvariants();
      }
    });
  }

  @Test void finishAndCacheUnfinished_rejectBadKvCounts() {
    try (HiCache cache = open(new InMemoryMetrics(), 8)) {
      int[] prompt = new int[2 * PAGE];
      CacheRequest r = cache.admit(prompt);
      assertThat(cache.extend(r, prompt.length)).isTrue();
      assertThatThrownBy(() -> cache.finish(r, prompt, prompt.length + 1)).hasMessageContaining("kvTokens");
      assertThatThrownBy(() -> cache.finish(r, prompt, -1)).hasMessageContaining("kvTokens");
      assertThatThrownBy(() -> cache.cacheUnfinished(r, null, 0)).hasMessageContaining("tokens");
      assertThatThrownBy(() -> cache.enqueue(1, null)).hasMessageContaining("tokens");
      cache.finish(r, prompt, prompt.length);
      cache.checkInvariants();
    }
  }

  @Test void close_withLiveRequests_isCounted() {
    InMemoryMetrics m = new InMemoryMetrics();
    HiCache cache = open(m, 8);
    cache.admit(new int[] {1, 2, 3, 4, 5});
    cache.admit(new int[] {9, 8, 7});
    cache.close();
    assertThat(m.counter(CacheController.CLOSED_WITH_LIVE_REQUESTS)).isEqualTo(2);
    InMemoryMetrics clean = new InMemoryMetrics();
    try (HiCache c2 = open(clean, 8)) {
      CacheRequest r = c2.admit(new int[] {1, 2, 3});
      c2.abort(r);
    }
    assertThat(clean.counter(CacheController.CLOSED_WITH_LIVE_REQUESTS)).isZero();
  }
}
