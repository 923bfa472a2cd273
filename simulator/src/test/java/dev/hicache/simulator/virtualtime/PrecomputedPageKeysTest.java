package dev.hicache.simulator.virtualtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.core.sim.MatchTouch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.InMemoryL3StoreDouble;

/**
 * Page keys computed outside the engine ({@link TieredSimulation#pageKeys}, handed to {@link
 * TieredSimulation#submit(long, int[], int[], int, PageKey[])}; the simulator computes them on its
 * read-ahead thread) must give exactly the run the engine gives when it hashes, and wrong ones must
 * show: they name other L3 objects and break the tree's hash chains.
 */
class PrecomputedPageKeysTest {
  private static final KvShape SHAPE = KvShape.mha(32, 8, 128, DType.BF16, 64);
  private static final int PS = 64;

  /** Multi-turn conversations over a shared system prompt: every turn extends the last one's prompt. */
  private static List<int[]> prompts(long seed) {
    return prompts(seed, 5);
  }

  private static List<int[]> prompts(long seed, int systemPages) {
    Random rnd = new Random(seed);
    int[] system = new int[PS * systemPages];
    for (int i = 0; i < system.length; i++) system[i] = rnd.nextInt(32000);
    int conversations = 20;
    int[][] history = new int[conversations][];
    for (int c = 0; c < conversations; c++) history[c] = system;
    List<int[]> out = new ArrayList<>();
    for (int turn = 0; turn < 5; turn++) {
      for (int c = 0; c < conversations; c++) {
        int[] p = Arrays.copyOf(history[c], history[c].length + 200 + rnd.nextInt(300));
        for (int i = history[c].length; i < p.length; i++) p[i] = rnd.nextInt(32000);
        history[c] = p;
        out.add(p);
      }
    }
    return out;
  }

  private static TieredSimulation sim(InMemoryL3StoreDouble l3) {
    HiCacheConfig config = HiCacheConfig.builder().writePolicy(WritePolicyKind.WRITE_THROUGH)
        .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).build();
    // L1 and L2 far smaller than the workload: later turns come back from L3.
    return new TieredSimulation(config, SHAPE, 48 * PS, 96 * PS, CostModel.pcieGen5(), 20_000, 0,
        MatchTouch.MATCHED_ONLY, l3, null);
  }

  /** Every outcome and every metric of one run; {@code keys} gives each prompt's keys (null: the engine hashes). */
  private static List<Object> run(TieredSimulation sim, List<int[]> prompts, Function<int[], PageKey[]> keys) {
    List<Object> seen = new ArrayList<>();
    long t = 0;
    for (int[] p : prompts) {
      seen.add(sim.submit(t, p, null, 20, keys.apply(p)));
      t += 2_000_000;
    }
    sim.drain();
    sim.checkInvariants();
    seen.add(sim.metrics().counters());
    seen.add(sim.metrics().gauges());
    return seen;
  }

  @Test void precomputedKeys_giveTheRunOfTheEngineHashingItself() {
    List<int[]> prompts = prompts(11);
    PageHasher hasher = new PageHasher(PS);
    List<Object> hashedHere;
    long storageHits;
    try (TieredSimulation s = sim(new InMemoryL3StoreDouble())) {
      hashedHere = run(s, prompts, p -> null);
      storageHits = s.storageHitTokens();
    }
    assertThat(storageHits).as("the workload must reach L3 for this test to mean anything").isPositive();
    try (TieredSimulation s = sim(new InMemoryL3StoreDouble())) {
      assertThat(run(s, prompts, p -> TieredSimulation.pageKeys(hasher, p))).isEqualTo(hashedHere);
    }
    // Keys for only the first pages: the engine hashes the rest, same run again.
    try (TieredSimulation s = sim(new InMemoryL3StoreDouble())) {
      assertThat(run(s, prompts, p -> Arrays.copyOf(TieredSimulation.pageKeys(hasher, p), p.length / PS / 2)))
          .isEqualTo(hashedHere);
    }
  }

  @Test void pageKeys_areTheApisChainFromTheStart() {
    int[] tokens = prompts(3).get(7);
    PageHasher hasher = new PageHasher(PS);
    assertThat(TieredSimulation.pageKeys(hasher, tokens)).containsExactlyElementsOf(new PageHasher(PS).chain(tokens));
    assertThat(TieredSimulation.pageKeys(hasher, Arrays.copyOf(tokens, PS - 1))).isEmpty();
  }

  /** Keys of another sequence (one token differs in page 0, so every chained key differs). */
  private static PageKey[] wrongKeys(PageHasher hasher, int[] p) {
    int[] other = p.clone();
    other[0]++;
    return TieredSimulation.pageKeys(hasher, other);
  }

  @Test void wrongKeys_breakTheTreesHashChains() {
    List<int[]> prompts = prompts(5);
    PageHasher hasher = new PageHasher(PS);
    try (TieredSimulation s = sim(new InMemoryL3StoreDouble())) {
      s.submit(0, prompts.get(0), null, 20, wrongKeys(hasher, prompts.get(0)));
      assertThatThrownBy(s::checkInvariants).isInstanceOf(IllegalStateException.class).hasMessageContaining("hash chain");
    }
  }

  @Test void wrongKeys_nameOtherL3Objects() {
    List<int[]> prompts = prompts(9, 0);
    PageHasher hasher = new PageHasher(PS);
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    try (TieredSimulation warm = sim(l3)) {
      run(warm, prompts, p -> null); // fills the shared L3
    }
    long right;
    try (TieredSimulation cold = sim(l3)) {
      cold.submit(0, prompts.get(20), null, 20, TieredSimulation.pageKeys(hasher, prompts.get(20)));
      right = cold.storageHitTokens();
    }
    assertThat(right).as("a cold instance finds the warm one's pages in L3 by the right keys").isPositive();
    try (TieredSimulation cold = sim(l3)) {
      cold.submit(0, prompts.get(20), null, 20, wrongKeys(hasher, prompts.get(20)));
      assertThat(cold.storageHitTokens()).as("the L3 query asks for the keys it was given").isZero();
    }
  }

  @Test void moreKeysThanFullPages_areRefused() {
    int[] p = prompts(2).get(0);
    PageKey[] keys = TieredSimulation.pageKeys(new PageHasher(PS), Arrays.copyOf(p, p.length + PS));
    try (TieredSimulation s = sim(new InMemoryL3StoreDouble())) {
      assertThatThrownBy(() -> s.submit(0, p, null, 20, keys)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("page keys");
    }
  }
}
