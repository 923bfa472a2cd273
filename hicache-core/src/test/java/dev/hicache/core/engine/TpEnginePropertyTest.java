package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.tp.InProcessRankGroup;
import dev.hicache.core.tp.StepRankGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * TP consensus at the engine level (docs/behaviour.md#tp-consensus): 2–4 ranks, each
 * a full {@link HiCache} with its own pools, L3 store and storage controller, run the same
 * scheduler script while their L3 contents, L3 latencies and copy (D→H and H→D) timings differ.
 * Every scheduler iteration is exactly one consensus round ({@link HiCache#poll}, or its two
 * halves for step-synchronous ranks) carrying the engine's writing_check / loading_check acks and
 * the storage controller's votes. The ranks must see the same decisions — every readyToAdmit
 * answer, every admission's device / host / storage hit, every extend, the tree's shape and
 * residency, the counters of agreed decisions (prefetched, inserted, evicted, backed up) — and
 * never deadlock. Invariants of every rank are checked after every iteration, and every byte a
 * request reads from its cached prefix is checked.
 */
class TpEnginePropertyTest {
  static final int EXAMPLES = Integer.getInteger("hicache.tp.engine.examples", 40);
  static final int THREADED_EXAMPLES = Integer.getInteger("hicache.tp.engine.threaded.examples", 10);
  /** Fixed by default so a build is reproducible; -Dhicache.property.seed=N explores other streams. */
  static final long SEED = Long.getLong("hicache.property.seed", 20261125L);
  private static final WritePolicyKind[] WRITE = WritePolicyKind.values();
  private static final PrefetchPolicyKind[] PREFETCH = PrefetchPolicyKind.values();

  @Test void stepSynchronousRanks_agreeOnEveryDecision_withDifferentL3AndCopyTimings() {
    long[] figures = new long[6];
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(10)
        .forAll(longs().all(), integers().between(2, 4), integers().between(0, WRITE.length * PREFETCH.length - 1),
            integers().between(6, 16))
        .checkAssert((seed, ranks, policies, devicePages) -> {
          List<TpEngineRank> rs = runSteps(seed, ranks, WRITE[policies % WRITE.length], PREFETCH[policies / WRITE.length], devicePages);
          tally(figures, rs);
        });
    report("steps", figures);
    System.out.printf("[tp engine steps] iterations where the ranks had finished different numbers of D->H copies: %d%n", ACKS_HELD_BACK.get());
    assertThat(figures[1]).as("storage hits (prefetched tokens admitted)").isPositive();
    assertThat(figures[2]).as("host hits").isPositive();
    assertThat(figures[3]).as("requests whose L3 run differed across ranks when queued").isPositive();
    assertThat(ACKS_HELD_BACK.get()).as("iterations where the D->H ack MIN held some rank's acks back").isPositive();
  }

  @Test void threadedRanks_agreeOnEveryDecision_andNeverDeadlock() {
    long[] figures = new long[6];
    qt().withFixedSeed(SEED + 1).withExamples(THREADED_EXAMPLES).withShrinkCycles(3)
        .forAll(longs().all(), integers().between(2, 3), integers().between(0, WRITE.length * PREFETCH.length - 1),
            integers().between(6, 16))
        .checkAssert((seed, ranks, policies, devicePages) -> {
          List<TpEngineRank> rs = runThreads(seed, ranks, WRITE[policies % WRITE.length], PREFETCH[policies / WRITE.length], devicePages);
          tally(figures, rs);
        });
    report("threads", figures);
    assertThat(figures[4]).as("consensus rounds").isPositive();
  }

  /** The check itself can fail: a rank that skips an iteration's poll fails the group within the bound, it does not hang. */
  @Test void rankThatSkipsAPoll_failsTheGroupInsteadOfHanging() throws Exception {
    List<PageKey> chains = new ArrayList<>();
    long seed = 5;
    InMemoryL3StoreDouble warm = TpEngineRank.warmStore(seed, chains);
    List<RankGroup> g = InProcessRankGroup.create(2, Duration.ofMillis(500));
    List<TpEngineRank> rs = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      rs.add(new TpEngineRank(seed, r, WritePolicyKind.WRITE_THROUGH, PrefetchPolicyKind.WAIT_COMPLETE, 8, warm, chains, g.get(r), true));
    }
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        rs.get(0).cache.poll();
        rs.get(0).cache.poll(); // rank 1 polls once only
      } catch (Throwable e) {
        seen.set(e);
      }
    });
    try {
      rs.get(1).cache.poll();
      t.join(10_000);
      assertThat(t.isAlive()).isFalse();
      assertThat(seen.get()).hasMessageContaining("waited alone in round 1");
    } finally {
      for (TpEngineRank r : rs) r.close();
    }
  }

  /** Step iterations where the ranks had finished different numbers of D→H copies (so the agreed MIN held some back). */
  private static final java.util.concurrent.atomic.AtomicLong ACKS_HELD_BACK = new java.util.concurrent.atomic.AtomicLong();

  private static void tally(long[] f, List<TpEngineRank> rs) {
    f[0]++;
    f[1] += rs.getFirst().storageHitTokens;
    f[2] += rs.getFirst().hostHitTokens;
    List<Integer> runs0 = rs.getFirst().l3Runs;
    for (int i = 0; i < runs0.size(); i++) {
      int k = i;
      if (rs.stream().anyMatch(r -> !r.l3Runs.get(k).equals(runs0.get(k)))) f[3]++;
    }
    f[4] += rs.getFirst().metrics.counter("hicache_tp_consensus_ticks");
    f[5] += rs.size();
  }

  private static void report(String what, long[] f) {
    System.out.printf("[tp engine %s] examples=%d ranks(total)=%d storage_hit_tokens(rank0)=%d host_hit_tokens(rank0)=%d "
        + "requests_whose_L3_run_differed_across_ranks=%d consensus_rounds(rank0)=%d%n", what, f[0], f[5], f[1], f[2], f[3], f[4]);
  }

  static List<TpEngineRank> runSteps(long seed, int ranks, WritePolicyKind write, PrefetchPolicyKind prefetch, int devicePages) {
    List<PageKey> chains = new ArrayList<>();
    InMemoryL3StoreDouble warm = TpEngineRank.warmStore(seed, chains);
    StepRankGroup group = new StepRankGroup(ranks);
    List<TpEngineRank> rs = new ArrayList<>();
    try {
      for (int r = 0; r < ranks; r++) rs.add(new TpEngineRank(seed, r, write, prefetch, devicePages, warm, chains, group.member(r), false));
      String what = "seed " + seed + ", " + ranks + " ranks, " + write.flagName() + ", " + prefetch.flagName() + ", device " + devicePages + " pages";
      int compared = 0;
      for (int it = 0; ; it++) {
        if (it > TpEngineRank.MAX_ITERATIONS) {
          List<String> log = rs.getFirst().log;
          throw new AssertionError("ranks did not finish in " + it + " iterations: " + what + "; rank 0's last decisions:\n  "
              + String.join("\n  ", log.subList(Math.max(0, log.size() - 12), log.size())));
        }
        long t = it * TpEngineRank.STEP_NANOS;
        for (TpEngineRank r : rs) r.cache.deterministicShell().advanceTo(t);
        int minAcks = Integer.MAX_VALUE, maxAcks = 0;
        for (TpEngineRank r : rs) {
          minAcks = Math.min(minAcks, r.cache.controller().finishedBackupAcks());
          maxAcks = Math.max(maxAcks, r.cache.controller().finishedBackupAcks());
        }
        if (minAcks < maxAcks) ACKS_HELD_BACK.incrementAndGet(); // some rank's D→H copy finished first: the MIN waits for the others
        // The iteration's one collective: gather on every rank, reduce, apply on every rank.
        group.round(rs, r -> r.cache.pollGather(), (r, v) -> r.cache.pollApply(v));
        // A forward pass waits until its load-back landed on every rank; requests admitted in this
        // iteration run from the next one.
        Set<Long> loaded = new HashSet<>();
        for (long rid : rs.getFirst().runningRids()) {
          boolean all = true;
          for (TpEngineRank r : rs) all &= r.runningLoaded(rid);
          if (all) loaded.add(rid);
        }
        for (TpEngineRank r : rs) {
          r.schedule(loaded::contains);
          r.afterIteration();
        }
        compared = compareLogs(rs, compared, what);
        boolean done = rs.getFirst().done();
        for (TpEngineRank r : rs) assertThat(r.done()).as("rank %d done at iteration %d (%s)", r.rank, it, what).isEqualTo(done);
        if (done) break;
      }
      checkEnd(rs, what);
      return rs;
    } finally {
      for (TpEngineRank r : rs) r.close();
    }
  }

  static List<TpEngineRank> runThreads(long seed, int ranks, WritePolicyKind write, PrefetchPolicyKind prefetch, int devicePages) {
    List<PageKey> chains = new ArrayList<>();
    InMemoryL3StoreDouble warm = TpEngineRank.warmStore(seed, chains);
    // Bounded waits: a rank that waits alone in a collective for 10 s breaks the group with an error.
    List<RankGroup> group = InProcessRankGroup.create(ranks, Duration.ofSeconds(10));
    List<TpEngineRank> rs = new ArrayList<>();
    String what = "seed " + seed + ", " + ranks + " threaded ranks, " + write.flagName() + ", " + prefetch.flagName() + ", device "
        + devicePages + " pages";
    try {
      for (int r = 0; r < ranks; r++) rs.add(new TpEngineRank(seed, r, write, prefetch, devicePages, warm, chains, group.get(r), true));
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (TpEngineRank r : rs) {
        threads.add(Thread.ofPlatform().name("tp-engine-rank-" + r.rank).start(() -> {
          try {
            while (true) {
              if (r.iteration > TpEngineRank.MAX_ITERATIONS) throw new AssertionError("rank " + r.rank + " did not finish");
              r.setLogicalTime();
              r.cache.poll(); // the iteration's one collective
              r.schedule(r::awaitLoaded);
              r.afterIteration();
              if (r.done()) break;
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      for (Thread t : threads) {
        try {
          t.join(120_000);
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        if (t.isAlive()) {
          for (Thread x : threads) x.interrupt();
          throw new AssertionError(t.getName() + " still running after 120 s: deadlock (" + what + ")");
        }
      }
      if (failure.get() != null) throw new AssertionError("a rank failed (" + what + "): " + failure.get(), failure.get());
      compareLogs(rs, 0, what);
      checkEnd(rs, what);
      return rs;
    } finally {
      for (TpEngineRank r : rs) r.close();
    }
  }

  /** Compares every rank's log with rank 0's from {@code from} on; returns the new length. */
  private static int compareLogs(List<TpEngineRank> rs, int from, String what) {
    List<String> first = rs.getFirst().log;
    for (TpEngineRank r : rs) {
      int n = Math.min(first.size(), r.log.size());
      for (int i = from; i < n; i++) {
        if (!first.get(i).equals(r.log.get(i))) {
          throw new AssertionError("rank " + r.rank + " disagrees with rank 0 (" + what + "):\n  rank 0: " + first.get(i)
              + "\n  rank " + r.rank + ": " + r.log.get(i));
        }
      }
      assertThat(r.log.size()).as("rank %d's decisions (%s)", r.rank, what).isEqualTo(first.size());
    }
    return first.size();
  }

  private static void checkEnd(List<TpEngineRank> rs, String what) {
    TpEngineRank first = rs.getFirst();
    for (TpEngineRank r : rs) {
      assertThat(r.treeDigest()).as("rank %d's tree (%s)", r.rank, what).isEqualTo(first.treeDigest());
      assertThat(r.agreedCounters()).as("rank %d's counters of agreed decisions (%s)", r.rank, what).isEqualTo(first.agreedCounters());
      assertThat(r.cache.controller().storage().occupiedTokens()).isZero();
    }
  }
}
