package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.L3CostModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine loop of the README, two prompts with a shared prefix: the second arrives while the
 * first one's L1->L2 backup is in flight and splits its node. Every page still reaches L3 (SGLang
 * writes only the node it recorded, the split's tail).
 */
class SplitBackupReachesL3Test {
  private static final int PAGE = EngineScript.PAGE;

  private static void serve(HiCache cache, KeyedDevicePoolDouble device, int[] prompt) {
    CacheRequest r = cache.admit(prompt);
    while (!cache.extend(r, prompt.length)) assertThat(cache.deterministicShell().runNext()).isTrue();
    List<PageKey> keys = KeyedPages.keys(prompt, prompt.length, PAGE);
    int[] pages = r.devicePages();
    for (int i = r.cachedTokens() / PAGE; i < prompt.length / PAGE; i++) device.fillPage(pages[i], keys.get(i));
    cache.finish(r, prompt, prompt.length);
  }

  @Test void secondPromptSplitsAnUnackedBackup_everyPageReachesL3() {
    for (int shared : new int[] {1, 2, 5, 10}) { // pages the two prompts share
      InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
      InMemoryMetrics metrics = new InMemoryMetrics();
      KeyedDevicePoolDouble device = new KeyedDevicePoolDouble(EngineScript.SHAPE, 64 * PAGE);
      HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(WritePolicyKind.WRITE_THROUGH).build();
      int[] first = new int[11 * PAGE + 1];
      for (int i = 0; i < first.length; i++) first[i] = 100 + i;
      int[] second = Arrays.copyOf(first, first.length);
      for (int i = shared * PAGE; i < second.length; i++) second[i] = 5000 + i;
      try (HiCache cache = HiCache.builder(config).devicePool(device)
          .hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST, 257 * PAGE))
          .metrics(metrics).deterministic(CostModel.link(1e9, 1e9, 1_000)).storage(l3)
          .l3Cost(L3CostModel.link(1e9, 1e9, 10_000)).build()) {
        serve(cache, device, first);   // its backup is issued, not acknowledged
        serve(cache, device, second);  // matches the shared pages: splits the node under backup
        cache.deterministicShell().drain();
        cache.checkInvariants();
        List<PageKey> all = new java.util.ArrayList<>(KeyedPages.keys(first, first.length, PAGE));
        all.addAll(KeyedPages.keys(second, second.length, PAGE));
        long missing = all.stream().distinct().filter(k -> !l3.holds(k)).count();
        assertThat(missing).as("pages not in L3 with " + shared + " shared").isZero();
        assertThat(metrics.counter(CacheController.L3_BACKUP_UNREACHABLE_PAGES)).isZero();
      }
    }
  }
}
