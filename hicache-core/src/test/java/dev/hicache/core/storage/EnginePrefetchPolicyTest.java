package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.engine.HiCache;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.L3CostModel;

/**
 * The three policies through the engine's deterministic shell (HiCache with an L3 store, virtual
 * time, metadata only): a warm instance computes a set of prompts and backs them up to L3; a cold
 * instance sharing that L3 then queues the same prompts. Per policy:
 * best_effort admits by the scheduler iteration after the first ask; wait_complete admits with the
 * whole L3 run (cached_tokens{storage} = the run, above the threshold); timeout admits no later than
 * the first iteration after {@code start + base + per_ki × hit/1024}, and earlier only complete.
 */
class EnginePrefetchPolicyTest {
  static final int PS = 16;
  static final KvShape SHAPE = KvShape.mha(4, 2, 32, DType.BF16, PS);
  static final long STEP = 200_000; // one scheduler iteration = 0.2 ms of virtual time
  static final int EXAMPLES = Integer.getInteger("hicache.property.examples", 150) / 3;

  @Test void bestEffort() { check(PrefetchPolicyKind.BEST_EFFORT); }

  @Test void waitComplete() { check(PrefetchPolicyKind.WAIT_COMPLETE); }

  @Test void timeout() { check(PrefetchPolicyKind.TIMEOUT); }

  private static void check(PrefetchPolicyKind kind) {
    long[] storage = new long[1];
    qt().withFixedSeed(20261125L).withExamples(Math.max(10, EXAMPLES)).withShrinkCycles(20)
        .forAll(longs().all(), integers().between(1, 5))
        .checkAssert((seed, n) -> storage[0] += run(kind, seed, n));
    System.out.println("[engine-prefetch " + kind.flagName() + "] cached_tokens{storage} over all examples: " + storage[0]);
    if (kind != PrefetchPolicyKind.BEST_EFFORT) assertThat(storage[0]).isPositive();
  }

  private static long run(PrefetchPolicyKind kind, long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PS).prefetchPolicy(kind).prefetchThreshold(4 * PS)
        .prefetchTimeoutBaseSeconds(0.002).prefetchTimeoutPerKiTokenSeconds(0.004).build();
    long readNanos = 20_000 + r.nextLong(2_000_000);
    L3CostModel l3Cost = L3CostModel.link(1e12, 1e12, readNanos);
    MapL3StoreDouble l3 = new MapL3StoreDouble();
    int[][] prompts = new int[n][];
    int[] written = new int[n];
    for (int i = 0; i < n; i++) prompts[i] = PrefetchRig.tokens(r.nextLong(), 2 + r.nextInt(300 * PS)); // up to 3 read batches
    // Warm instance: computes each prompt (write_through backs it up to L2, then to L3).
    try (HiCache warm = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS).deterministic(CostModel.pcieGen5())
        .storage(l3).l3Cost(l3Cost).build()) {
      for (int i = 0; i < n; i++) {
        if (r.nextInt(4) == 0) continue; // some prompts never reach L3
        CacheRequest q = warm.admit(prompts[i]);
        assertThat(warm.extend(q, prompts[i].length)).isTrue();
        warm.finish(q, prompts[i], prompts[i].length);
        written[i] = prompts[i].length / PS;
      }
      warm.deterministicShell().drain();
      for (int k = 0; k < 1000 && warm.poll() + warm.inFlightBackups() > 0; k++) warm.deterministicShell().drain();
    }
    long storageTotal = 0;
    try (HiCache cold = HiCache.builder(config).metadataOnly(SHAPE, 2048 * PS, 8192 * PS).deterministic(CostModel.pcieGen5())
        .storage(l3).l3Cost(l3Cost).build()) {
      PageHasher h = new PageHasher(PS);
      long[] start = new long[n];
      int[] firstAsk = new int[n];
      int[] run = new int[n];
      List<Integer> waiting = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int asked = (prompts[i].length - 1) / PS;
        List<PageKey> keys = h.chain(null, prompts[i], 0, asked * PS);
        int k = 0;
        while (k < keys.size() && l3.contains(keys.get(k))) k++;
        run[i] = k * PS;
        start[i] = cold.deterministicShell().now();
        cold.enqueue(i, prompts[i]);
        waiting.add(i);
        firstAsk[i] = -1;
      }
      int reachAfter = r.nextInt(3) == 0 ? 0 : r.nextInt(30); // the scheduler is busy for a while
      for (int it = 0; it < 200_000 && !waiting.isEmpty(); it++) {
        long now = cold.deterministicShell().now();
        cold.deterministicShell().advanceTo(now + STEP);
        cold.poll();
        cold.checkInvariants();
        if (it < reachAfter) continue;
        for (var iter = waiting.iterator(); iter.hasNext(); ) {
          int i = iter.next();
          if (firstAsk[i] < 0) firstAsk[i] = it;
          if (!cold.readyToAdmit(i)) continue;
          iter.remove();
          long t = cold.deterministicShell().now();
          CacheRequest q = cold.admit(i, prompts[i], 0);
          storageTotal += q.storageHitTokens();
          boolean above = run[i] >= config.effectivePrefetchThreshold();
          assertThat(q.storageHitTokens()).isBetween(0, above ? run[i] : 0);
          switch (kind) {
            case BEST_EFFORT -> assertThat(it - firstAsk[i]).as("best_effort: admitted by the iteration after the first ask").isLessThanOrEqualTo(1);
            case WAIT_COMPLETE -> assertThat(q.storageHitTokens()).as("wait_complete: the whole L3 run").isEqualTo(above ? run[i] : 0);
            case TIMEOUT -> {
              long deadline = start[i] + (long) Math.ceil((0.002 + 0.004 * run[i] / 1024.0) * 1e9);
              long askedAt = start[i] + (long) (firstAsk[i] + 1) * STEP;
              if (above) {
                assertThat(t).as("timeout: admitted no later than the iteration after the deadline")
                    .isLessThanOrEqualTo(Math.max(deadline, askedAt) + 2 * STEP);
                if (t - start[i] <= 2_000_000) {
                  assertThat(q.storageHitTokens()).as("timeout: before even the base elapsed, only complete").isEqualTo(run[i]);
                }
              }
            }
          }
          cold.abort(q);
        }
      }
      assertThat(waiting).as("every queued request admitted").isEmpty();
    }
    return storageTotal;
  }
}
