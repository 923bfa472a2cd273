package dev.hicache.core.tp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.storage.TpRankRig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * TP consensus (docs/behaviour.md#tp-consensus): several simulated ranks with the same request
 * stream but different L3 contents (each rank's store holds a different leading run of each
 * request), different L3 latencies and skewed clocks. They must agree on every decision — the hit
 * each prefetch settles on, what is inserted, when each request is admitted, the host-resident
 * content of the tree — never insert a page some rank lacks, and never deadlock: the ranks run as
 * real threads over {@link InProcessRankGroup} with bounded waits, so a deadlock fails the test.
 */
class TpConsensusPropertyTest {
  static final int EXAMPLES = Integer.getInteger("hicache.tp.examples", 40);
  static final long SEED = Long.getLong("hicache.property.seed", 20261125L);
  static final String[] POLICIES = {"best_effort", "wait_complete", "timeout"};

  @Test void threadedRanks_agreeOnHitsAndPrefetchedContent_andNeverDeadlock() {
    long[] figures = new long[4];
    qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(10)
        .forAll(longs().all(), integers().between(2, 4), integers().between(0, 2))
        .checkAssert((seed, ranks, policy) -> {
          List<TpRankRig.Outcome> out = runThreads(seed, ranks, POLICIES[policy]);
          figures[3] += checkAgreement(out);
          figures[0]++;
          figures[1] += out.getFirst().prefetchedTokens();
          figures[2] += out.getFirst().consensusRounds();
        });
    System.out.printf("[tp threads] examples=%d prefetched_tokens(rank0)=%d consensus_rounds(rank0)=%d "
        + "prefetches where the agreed hit was below some rank's own hit=%d%n", figures[0], figures[1], figures[2], figures[3]);
    assertThat(figures[1]).as("tokens were prefetched").isPositive();
    assertThat(figures[3]).as("ranks' L3 results differed, so the MIN mattered").isPositive();
  }

  @Test void stepSynchronousRanks_agreeOnHitsAndPrefetchedContent() {
    long[] figures = new long[2];
    qt().withFixedSeed(SEED + 1).withExamples(EXAMPLES * 3).withShrinkCycles(20)
        .forAll(longs().all(), integers().between(2, 4), integers().between(0, 2))
        .checkAssert((seed, ranks, policy) -> {
          List<TpRankRig.Outcome> out = runSteps(seed, ranks, POLICIES[policy]);
          checkAgreement(out);
          figures[0]++;
          figures[1] += out.getFirst().prefetchedTokens();
        });
    System.out.printf("[tp steps] examples=%d prefetched_tokens(rank0)=%d%n", figures[0], figures[1]);
    assertThat(figures[1]).isPositive();
  }

  /** The harness catches the SGLang deadlock: a rank that skips a round fails the others within the bound. */
  @Test void rankThatSkipsARound_failsTheGroupInsteadOfHanging() throws Exception {
    List<RankGroup> g = InProcessRankGroup.create(2, Duration.ofMillis(300));
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        g.get(0).allReduceMin(new long[] {1});
        g.get(0).allReduceMin(new long[] {2}); // rank 1 never joins this round
      } catch (Throwable e) {
        seen.set(e);
      }
    });
    g.get(1).allReduceMin(new long[] {5});
    t.join(5_000);
    assertThat(t.isAlive()).isFalse();
    assertThat(seen.get()).hasMessageContaining("waited alone in round 1");
  }

  @Test void ranksCallingDifferentCollectives_failWithTheRoundNamed() throws Exception {
    List<RankGroup> g = InProcessRankGroup.create(2, Duration.ofSeconds(5));
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        g.get(0).allReduceMin(new long[] {1, 2});
      } catch (Throwable e) {
        seen.set(e);
      }
    });
    Thread.sleep(50);
    assertThatThrownBy(() -> g.get(1).allReduceMax(new long[] {1, 2})).hasMessageContaining("round 0");
    t.join(5_000);
    assertThat(seen.get()).isNotNull();
  }

  @Test void inProcessGroup_reducesMinAndMax() throws Exception {
    List<RankGroup> g = InProcessRankGroup.create(3, Duration.ofSeconds(5));
    long[][] v = {{3, -1}, {1, 7}, {2, 0}};
    List<Thread> ts = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      int rank = r;
      ts.add(Thread.ofPlatform().start(() -> {
        g.get(rank).allReduceMin(v[rank]);
      }));
    }
    for (Thread t : ts) t.join(5_000);
    for (long[] x : v) assertThat(x).containsExactly(1, -1);
    StepRankGroup s = new StepRankGroup(2);
    assertThat(s.reduceMin(List.of(new long[] {4, -2}, new long[] {3, 9}))).containsExactly(3, -2);
    assertThatThrownBy(() -> s.member(0).allReduceMin(new long[1])).hasMessageContaining("alone");
  }

  static List<TpRankRig.Outcome> runThreads(long seed, int ranks, String policy) {
    List<RankGroup> group = InProcessRankGroup.create(ranks, Duration.ofSeconds(20));
    List<TpRankRig> rigs = new ArrayList<>();
    for (int r = 0; r < ranks; r++) rigs.add(new TpRankRig(seed, r, ranks, policy, group.get(r)));
    List<TpRankRig.Outcome> out = new ArrayList<>();
    for (int r = 0; r < ranks; r++) out.add(null);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      int rank = r;
      threads.add(Thread.ofPlatform().name("tp-rank-" + r).start(() -> {
        try {
          out.set(rank, rigs.get(rank).runThreaded());
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    try {
      for (Thread t : threads) {
        t.join(120_000);
        if (t.isAlive()) throw new AssertionError("rank thread " + t.getName() + " still running: deadlock");
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      for (TpRankRig r : rigs) r.close();
    }
    if (failure.get() != null) throw new AssertionError("a rank failed: " + failure.get(), failure.get());
    return out;
  }

  static List<TpRankRig.Outcome> runSteps(long seed, int ranks, String policy) {
    StepRankGroup group = new StepRankGroup(ranks);
    List<TpRankRig> rigs = new ArrayList<>();
    for (int r = 0; r < ranks; r++) rigs.add(new TpRankRig(seed, r, ranks, policy, group.member(r)));
    try {
      return TpRankRig.runStepSynchronous(rigs, group);
    } finally {
      for (TpRankRig r : rigs) r.close();
    }
  }

  /** Checks agreement; returns how many prefetches settled below some rank's own hit. */
  static int checkAgreement(List<TpRankRig.Outcome> out) {
    int below = 0;
    TpRankRig.Outcome first = out.getFirst();
    for (TpRankRig.Outcome o : out) {
      assertThat(o.admittedAt()).as("rank %d admits at the same ticks as rank 0", o.rank()).isEqualTo(first.admittedAt());
      assertThat(o.agreedHits()).as("rank %d agrees on every hit", o.rank()).isEqualTo(first.agreedHits());
      assertThat(o.storageHit()).as("rank %d inserted the same tokens", o.rank()).isEqualTo(first.storageHit());
      assertThat(o.hostContent()).as("rank %d holds the same host content", o.rank()).isEqualTo(first.hostContent());
    }
    // Never a page that some rank does not have: the agreed hit is at most every rank's own run.
    for (Map.Entry<Long, Integer> e : first.agreedHits().entrySet()) {
      for (TpRankRig.Outcome o : out) {
        assertThat(e.getValue()).as("agreed hit of request %d within rank %d's own L3 run", e.getKey(), o.rank())
            .isLessThanOrEqualTo(o.localHits().get(e.getKey()));
      }
      int min = Integer.MAX_VALUE;
      for (TpRankRig.Outcome o : out) min = Math.min(min, o.localHits().get(e.getKey()));
      assertThat(e.getValue()).as("agreed hit of request %d is the MIN over ranks", e.getKey()).isEqualTo(min);
      for (TpRankRig.Outcome o : out) {
        if (o.localHits().get(e.getKey()) > min) {
          below++;
          break;
        }
      }
    }
    return below;
  }
}
