package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.MatchTouch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.CostModel;

/** {@link HiCache.Builder#promptsUnmodified}: keeping the caller's arrays instead of copies changes nothing else. */
class PromptsUnmodifiedTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64);

  private static String run(boolean unmodified, InMemoryL3StoreDouble l3) {
    InMemoryMetrics metrics = new InMemoryMetrics();
    HiCacheConfig config = HiCacheConfig.builder().prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
    Random rnd = new Random(3);
    List<int[]> prompts = new ArrayList<>();
    int[] history = new int[0];
    for (int i = 0; i < 60; i++) {
      if (i % 6 == 0) history = new int[0];
      int[] p = Arrays.copyOf(history, history.length + 150 + rnd.nextInt(200));
      for (int k = history.length; k < p.length; k++) p[k] = rnd.nextInt(32000);
      history = p;
      prompts.add(p);
    }
    List<String> seen = new ArrayList<>();
    try (HiCache c = HiCache.builder(config).metadataOnly(SHAPE, 32 * 64, 64 * 64).deterministic(CostModel.pcieGen5())
        .metrics(metrics).matchTouch(MatchTouch.MATCHED_ONLY).storage(l3).promptsUnmodified(unmodified).build()) {
      DeterministicShell shell = c.deterministicShell();
      for (int i = 0; i < prompts.size(); i++) {
        int[] p = prompts.get(i);
        c.enqueue(i, p);
        while (!c.readyToAdmit(i)) if (!shell.runNext()) c.poll();
        CacheRequest r = c.admit(i, p, 0);
        shell.runUntil(() -> r.load().isDone());
        boolean ok = EngineScript.tryExtend(c, r, p.length);
        while (!ok && shell.runNext()) ok = EngineScript.tryExtend(c, r, p.length);
        if (ok) c.finish(r, p, p.length);
        else c.abort(r);
        seen.add(r.deviceHitTokens() + "/" + r.hostHitTokens() + "/" + r.storageHitTokens() + "@" + shell.now());
        c.checkInvariants();
      }
      shell.drain();
    }
    return seen + "\n" + metrics.dump();
  }

  @Test void keepingReferences_givesTheSameRunAsCopies() {
    String copies = run(false, new InMemoryL3StoreDouble());
    assertThat(copies).contains("cached_tokens{storage}");
    assertThat(run(true, new InMemoryL3StoreDouble())).isEqualTo(copies);
  }
}
