package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.RankGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.L3CostModel;

/**
 * The three termination policies behave as docs/behaviour.md#prefetch-policies says, in virtual
 * time, for generated workloads: several requests (some sharing prefixes, one with a local host
 * hit), L3 holding a generated leading run of each, generated L3 latencies, tick intervals and
 * arrival times.
 *
 * <ul>
 *   <li>best_effort admits a request at the first tick after the scheduler first asks, with
 *       whatever has arrived;
 *   <li>wait_complete admits only once the whole agreed L3 hit is in the tree (or the hit was
 *       below the threshold);
 *   <li>timeout admits no later than the first tick after {@code start + base + per_ki × hit/1024},
 *       and before that deadline only with the whole hit in the tree.
 * </ul>
 *
 * Every tick: the tree's, the host allocator's and the controller's invariants
 * ({@code prefetch_tokens_occupied} equals the sum over live ops, host pages accounted exactly).
 * At the end: every host page in the tree holds its key's bytes, nothing is owned or occupied.
 */
class PrefetchPolicyPropertyTest {
  static final int EXAMPLES = Integer.getInteger("hicache.property.examples", 150);
  static final long SEED = Long.getLong("hicache.property.seed", 20261125L);

  @Test void bestEffort_admitsAtTheFirstTickAfterAsked_withWhatArrived() {
    check("best_effort");
  }

  @Test void waitComplete_admitsOnlyWithTheWholeHit() {
    check("wait_complete");
  }

  @Test void timeout_admitsByTheFormulasDeadline_andEarlierOnlyComplete() {
    check("timeout");
  }

  /** Figures over all examples of one property, printed so a reader sees what was exercised. */
  static final Map<String, Long> FIGURES = new java.util.TreeMap<>();

  static synchronized void add(String k, long v) {
    FIGURES.merge(k, v, Long::sum);
  }

  private static void check(String policy) {
    FIGURES.clear();
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(50)
        .forAll(longs().all(), integers().between(1, 4))
        .checkAssert((seed, requests) -> new Scenario(policy, seed, requests).run());
    System.out.println("[prefetch-policy " + policy + "] " + FIGURES);
    assertThat(FIGURES.getOrDefault("terminated{complete}", 0L)).as("some prefetches completed").isPositive();
    assertThat(FIGURES.getOrDefault("terminated{below_threshold}", 0L)).as("some prefetches revoked").isPositive();
    assertThat(FIGURES.getOrDefault("prefetched_tokens", 0L)).as("tokens were prefetched").isPositive();
  }

  /** One generated workload on one rank. */
  static final class Scenario {
    final String policyName;
    final SplittableRandom r;
    final int requests;
    final Map<Long, Boolean> liveAtFirstAsk = new HashMap<>();
    long tickNanos;

    Scenario(String policy, long seed, int requests) {
      this.policyName = policy;
      this.r = new SplittableRandom(seed);
      this.requests = requests;
    }

    void run() {
      int ps = PrefetchRig.PAGE_SIZE;
      int threshold = ps * (1 + r.nextInt(8));
      var config = PrefetchRig.config(policyName, threshold);
      PrefetchPolicy policy = PrefetchPolicies.create(config);
      long queryNanos = 50_000 + r.nextLong(5_000_000);
      long readNanos = 100_000 + r.nextLong(8_000_000);
      L3CostModel cost = new L3CostModel() {
        @Override public long queryNanos(int keys) { return queryNanos; }
        @Override public long readNanos(int pages, long bytes) { return readNanos; }
        @Override public long writeNanos(int pages, long bytes) { return readNanos; }
      };
      tickNanos = 100_000 + r.nextLong(3_000_000);
      MapL3StoreDouble store = new MapL3StoreDouble();
      PageKey seed = r.nextBoolean() ? null : dev.hicache.api.Namespace.seed("lora-" + r.nextInt(3), null);
      int[] common = PrefetchRig.tokens(r.nextLong(), ps * r.nextInt(40));
      int[][] tokens = new int[requests][];
      int[] arrival = new int[requests];
      int[] reach = new int[requests];
      for (int i = 0; i < requests; i++) {
        int own = 1 + r.nextInt(300);
        tokens[i] = PrefetchRig.concat(common, PrefetchRig.tokens(r.nextLong(), own * ps + 1 + r.nextInt(ps)));
        PrefetchRig.seedL3(store, seed, tokens[i], r.nextInt(tokens[i].length / ps + 1));
        arrival[i] = r.nextInt(6);
        // The scheduler is busy for a while before it reaches the request (batch full, long queue).
        reach[i] = arrival[i] + (r.nextInt(3) == 0 ? 0 : r.nextInt(60));
      }
      try (PrefetchRig rig = new PrefetchRig(config, null, store, cost, RankGroup.single(), 2048, 256, seed)) {
        if (r.nextBoolean()) rig.seedHost(tokens[0], r.nextInt(common.length / ps + 1));
        Map<Long, Long> startAt = new HashMap<>();
        Map<Long, Integer> firstAsk = new HashMap<>();
        liveAtFirstAsk.clear();
        Map<Long, Integer> hitOracle = new HashMap<>();
        Map<Long, Integer> fromTokens = new HashMap<>();
        List<Long> pending = new ArrayList<>();
        for (long i = 0; i < requests; i++) pending.add(i);
        for (int tick = 0; tick < 200_000; tick++) {
          rig.ticks = tick;
          rig.clock.now = tick * tickNanos;
          for (int i = 0; i < requests; i++) {
            if (arrival[i] == tick) {
              PrefetchOperation op = rig.sc.prefetch(i, tokens[i], tokens[i].length - 1);
              rig.waiting.put((long) i, tokens[i]);
              if (op != null) {
                startAt.put((long) i, rig.clock.now);
                fromTokens.put((long) i, op.from);
                hitOracle.put((long) i, l3Run(store, op));
              }
            }
          }
          // Pre-tick view: the hit as agreed before this tick.
          Map<Long, Integer> agreedBefore = new HashMap<>();
          for (long rid : startAt.keySet()) {
            PrefetchOperation op = rig.sc.ongoing(rid);
            if (op != null) agreedBefore.put(rid, op.hitTokens());
          }
          long[] v = rig.sc.gather();
          rig.sc.apply(v);
          rig.checkInvariants();
          final int now = tick;
          List<Long> asked = new ArrayList<>();
          for (long rid : rig.waiting.keySet()) if (reach[(int) rid] <= now) asked.add(rid);
          for (long rid : asked) {
            if (firstAsk.putIfAbsent(rid, tick) == null) liveAtFirstAsk.put(rid, rig.sc.ongoing(rid) != null);
          }
          List<Long> admitted = rig.askAndAdmit(rid -> reach[(int) rid] <= now);
          for (long rid : admitted) {
            pending.remove(rid);
            checkAdmission(rig, policy, threshold, rid, tick, tokens[(int) rid], startAt, firstAsk, hitOracle, fromTokens,
                agreedBefore.getOrDefault(rid, -1));
          }
          if (pending.isEmpty() && rig.sc.idle()) break;
        }
        assertThat(pending).as("requests never admitted").isEmpty();
        assertThat(rig.sc.idle()).as("storage controller idle at the end").isTrue();
        assertThat(rig.sc.occupiedTokens()).isZero();
        assertThat(rig.sc.ownedHostPages()).isZero();
        assertThat(rig.host.prefetchOwnedPages()).isZero();
        rig.verifyAllHostPages();
        long started = rig.metrics.counter(StorageMetrics.PREFETCH_STARTED);
        long ended = 0;
        for (TerminalReason t : TerminalReason.values()) ended += rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, t.label());
        assertThat(ended).as("every started prefetch ended exactly once").isEqualTo(started);
        add("started", started);
        for (TerminalReason t : TerminalReason.values()) {
          add("terminated{" + t.label() + "}", rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, t.label()));
        }
        add("prefetched_tokens", rig.metrics.counter(StorageMetrics.PREFETCHED_TOKENS));
        add("host_pages_verified", rig.verifyAllHostPages());
      }
    }

    private void checkAdmission(PrefetchRig rig, PrefetchPolicy policy, int threshold, long rid, int tick, int[] tokens,
                                Map<Long, Long> startAt, Map<Long, Integer> firstAsk, Map<Long, Integer> hitOracle,
                                Map<Long, Integer> fromTokens, int agreedBefore) {
      int ps = PrefetchRig.PAGE_SIZE;
      if (!startAt.containsKey(rid)) {
        assertThat(tick).as("a request without prefetch is admitted when first asked").isEqualTo(firstAsk.get(rid));
        return;
      }
      int hit = hitOracle.get(rid);
      boolean revoked = hit < threshold;
      int from = fromTokens.get(rid);
      // What the tree holds for this request now (device or host), beyond where the prefetch started.
      int inTree = (rig.tree.matchPrefix(tokens, tokens.length - 1).devicePrefixPages()
          + rig.tree.matchPrefix(tokens, tokens.length - 1).hostHitPages()) * ps;
      boolean complete = !revoked && inTree >= from + hit;
      assertThat(rig.storageHit.get(rid)).as("inserted tokens within the hit").isBetween(0, revoked ? 0 : hit);
      long now = rig.clock.now;
      long start = startAt.get(rid);
      switch (policyName) {
        case "best_effort" -> assertThat(tick).as("best_effort: admitted at the tick after first asked (at once if it had ended)")
            .isEqualTo(firstAsk.get(rid) + (liveAtFirstAsk.get(rid) ? 1 : 0));
        case "wait_complete" -> assertThat(revoked || complete)
            .as("wait_complete admitted rid %d with %d of %d hit tokens in the tree", rid, inTree - from, hit).isTrue();
        case "timeout" -> {
          // The documented formula, computed here independently of the policy under test.
          long deadlineWithHit = start + formulaNanos(revoked ? 0 : hit);
          long knownTimeout = formulaNanos(agreedBefore);
          assertThat(revoked || complete || now - start > knownTimeout)
              .as("timeout: admitted before its deadline without the whole hit").isTrue();
          long askedAt = firstAsk.get(rid) * tickNanos;
          if (!revoked) {
            assertThat(now).as("timeout: admitted no later than the first tick after the deadline (or after first asked)")
                .isLessThanOrEqualTo(Math.max(deadlineWithHit, askedAt) + 2 * tickNanos);
          }
        }
        default -> throw new AssertionError(policyName);
      }
    }

    /** timeout = prefetch_timeout_base + prefetch_timeout_per_ki_token × hit / 1024 (only base while the hit is unknown). */
    private static long formulaNanos(int hitOrUnknown) {
      double base = 0.005, perKi = 0.02; // PrefetchRig.config
      return (long) Math.ceil((base + perKi * Math.max(0, hitOrUnknown) / 1024.0) * 1e9);
    }

    /** The oracle: tokens of the continuous L3 run from where the prefetch starts, within what it asked. */
    private static int l3Run(MapL3StoreDouble store, PrefetchOperation op) {
      int n = 0;
      while (n < op.keys.size() && store.contains(op.keys.get(n))) n++;
      return n * PrefetchRig.PAGE_SIZE;
    }
  }
}
