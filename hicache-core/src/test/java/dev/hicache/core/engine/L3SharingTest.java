package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.L3CostModel;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import dev.hicache.core.sim.CostModel;

/**
 * Two engine instances share one L3: the first serves prompts and backs them up (L1→L2→L3); a cold
 * second instance prefetches them (docs/behaviour.md#prefetch; the root is a valid anchor) and
 * serves the same prompts from storage, every byte checked against the page keys.
 */
class L3SharingTest {
  private static final int PAGE = EngineScript.PAGE;

  private static HiCache open(InMemoryL3StoreDouble l3, KeyedDevicePoolDouble device, WritePolicyKind policy,
                              PrefetchPolicyKind prefetch, InMemoryMetrics metrics) {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(policy).prefetchPolicy(prefetch)
        .prefetchThreshold(2 * PAGE).loadBackThreshold(PAGE).build();
    return HiCache.builder(config).devicePool(device)
        .hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST_DIRECT, 257 * PAGE))
        .metrics(metrics).deterministic(CostModel.link(1e9, 1e9, 1_000)).storage(l3)
        .l3Cost(L3CostModel.link(1e9, 1e9, 10_000)).build();
  }

  @ParameterizedTest
  @EnumSource(value = PrefetchPolicyKind.class, names = {"WAIT_COMPLETE", "TIMEOUT"})
  void coldInstance_prefetchesWhatAnotherBackedUp_andServesRightBytes(PrefetchPolicyKind prefetch) {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    Random rnd = new Random(3);
    int[][] prompts = new int[6][];
    for (int i = 0; i < prompts.length; i++) {
      prompts[i] = new int[40 + rnd.nextInt(20)];
      for (int j = 0; j < prompts[i].length; j++) prompts[i][j] = rnd.nextInt(30000);
    }
    // Instance A computes every prompt; write_through copies them to L2, then L2 to L3.
    KeyedDevicePoolDouble deviceA = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    try (HiCache a = open(l3, deviceA, WritePolicyKind.WRITE_THROUGH, prefetch, new InMemoryMetrics())) {
      for (int[] p : prompts) {
        CacheRequest r = a.admit(p);
        while (!a.extend(r, p.length)) assertThat(a.deterministicShell().runNext()).isTrue();
        List<PageKey> keys = KeyedPages.keys(p, p.length, PAGE);
        int[] pages = r.devicePages();
        for (int i = 0; i < p.length / PAGE; i++) deviceA.fillPage(pages[i], keys.get(i));
        a.finish(r, p, p.length);
      }
      a.deterministicShell().drain();
      a.checkInvariants();
    }
    assertThat(l3.size()).isPositive();
    // Instance B starts cold and finds them in L3.
    InMemoryMetrics metrics = new InMemoryMetrics();
    KeyedDevicePoolDouble deviceB = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
    long storageHits = 0;
    try (HiCache b = open(l3, deviceB, WritePolicyKind.WRITE_THROUGH, prefetch, metrics)) {
      for (int i = 0; i < prompts.length; i++) b.enqueue(i, prompts[i]);
      for (int i = 0; i < prompts.length; i++) {
        int guard = 0;
        while (!b.readyToAdmit(i)) {
          if (!b.deterministicShell().runNext()) b.poll();
          assertThat(++guard).isLessThan(10_000);
          b.checkInvariants();
        }
        CacheRequest r = b.admit(i, prompts[i], 0);
        b.deterministicShell().runUntil(() -> r.load().isDone());
        List<PageKey> keys = KeyedPages.keys(prompts[i], r.cachedTokens(), PAGE);
        int[] pages = r.devicePages();
        for (int k = 0; k < r.cachedTokens() / PAGE; k++) {
          assertThat(deviceB.pageHolds(pages[k], keys.get(k))).as("prompt " + i + " page " + k).isTrue();
        }
        storageHits += r.storageHitTokens();
        b.abort(r);
        b.checkInvariants();
      }
      b.deterministicShell().drain();
      b.checkInvariants();
    }
    // Every full page below the last token was in L3 and is served from it (the in-flight budget,
    // 0.8 x (host - device) = 617 tokens, admits every prefetch; wait_complete waits for all;
    // timeout's deadline of 1 s + 0.25 s per Ki tokens is far above these transfers).
    long expected = 0;
    for (int[] p : prompts) expected += (p.length - 1) / PAGE * PAGE;
    assertThat(storageHits).isEqualTo(expected);
    assertThat(metrics.counter("cached_tokens", "storage")).isEqualTo(expected);
    assertThat(metrics.counter("cached_tokens", "host")).isZero();
    assertThat(deviceB.outstandingBytes()).isZero();
  }
}
