package dev.hicache.simulator.virtualtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.MatchTouch;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The simulator's engine with per-request namespaces (docs/behaviour.md#namespaces): identical
 * prompts of two namespaces share nothing, in L1, L2 or L3; keys computed ahead of the engine from
 * the namespace's seed give the run of the engine hashing itself.
 */
class NamespacedSimulationTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64);
  private static final int PS = 64;
  private static final Namespace A = Namespace.ofSglang("lora-7", null);
  private static final Namespace B = Namespace.ofSglang(null, "tenant-1");

  private static TieredSimulation sim(MemoryL3Store l3) {
    HiCacheConfig config = HiCacheConfig.builder().writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
    return new TieredSimulation(config, SHAPE, 48 * PS, 96 * PS, CostModel.pcieGen5(), 20_000, 0,
        MatchTouch.MATCHED_ONLY, l3, null);
  }

  private static int[] prompt(long seed, int tokens) {
    Random rnd = new Random(seed);
    int[] t = new int[tokens];
    for (int i = 0; i < t.length; i++) t[i] = rnd.nextInt(32000);
    return t;
  }

  @Test void identicalPrompts_ofTwoNamespaces_shareNothing_inAnyTier() {
    int[] p = prompt(1, 10 * PS);
    MemoryL3Store l3 = new MemoryL3Store(1 << 16);
    try (TieredSimulation s = sim(l3)) {
      assertThat(s.submit(0, p, null, 1, null, A).cachedTokens()).isZero();
      assertThat(s.submit(1_000_000, p, null, 1, null, B).cachedTokens()).isZero();
      assertThat(s.submit(2_000_000, p, null, 1, null, null).cachedTokens()).isZero();
      assertThat(s.submit(3_000_000, p, null, 1, null, A).cachedTokens()).isEqualTo(9 * PS);
      s.drain();
      s.checkInvariants();
    }
    // Three namespaces, three sets of L3 objects for the same tokens.
    assertThat(l3.size()).isEqualTo(30);
    try (TieredSimulation cold = sim(l3)) {
      TieredSimulation.Outcome o = cold.submit(0, p, null, 1, null, B);
      assertThat(o.storageHitTokens()).isEqualTo(9 * PS);
      assertThat(cold.submit(1_000_000, prompt(2, 10 * PS), null, 1, null, B).storageHitTokens()).isZero();
    }
  }

  /** Every outcome and metric of a run of multi-turn prompts spread over namespaces. */
  private static List<Object> run(MemoryL3Store l3, Function<Integer, PageKey[]> keys, List<int[]> prompts,
                                  List<Namespace> namespaces) {
    List<Object> seen = new ArrayList<>();
    try (TieredSimulation s = sim(l3)) {
      for (int i = 0; i < prompts.size(); i++) {
        seen.add(s.submit(i * 2_000_000L, prompts.get(i), null, 20, keys.apply(i), namespaces.get(i)));
      }
      s.drain();
      s.checkInvariants();
      seen.add(s.metrics().counters());
      assertThat(s.storageHitTokens()).as("the run must reach L3 for this test to mean anything").isPositive();
    }
    return seen;
  }

  @Test void keysComputedAhead_fromTheNamespacesSeed_giveTheRunOfTheEngineHashingItself() {
    // Conversations over one system prompt, each in one of three namespaces (one the default).
    Random rnd = new Random(5);
    int[] system = prompt(6, 5 * PS);
    Namespace[] ns = {null, A, B};
    int[][] history = new int[12][];
    List<int[]> prompts = new ArrayList<>();
    List<Namespace> namespaces = new ArrayList<>();
    for (int turn = 0; turn < 5; turn++) {
      for (int c = 0; c < history.length; c++) {
        int[] h = history[c] == null ? system : history[c];
        int[] q = java.util.Arrays.copyOf(h, h.length + 200 + rnd.nextInt(300));
        for (int i = h.length; i < q.length; i++) q[i] = rnd.nextInt(32000);
        history[c] = q;
        prompts.add(q);
        namespaces.add(ns[c % 3]);
      }
    }
    PageHasher hasher = new PageHasher(PS);
    List<Object> hashedHere = run(new MemoryL3Store(1 << 16), i -> null, prompts, namespaces);
    List<Object> ahead = run(new MemoryL3Store(1 << 16), i -> TieredSimulation.pageKeys(hasher,
        namespaces.get(i) == null ? null : namespaces.get(i).seed(), prompts.get(i)), prompts, namespaces);
    assertThat(ahead).isEqualTo(hashedHere);
  }
}
