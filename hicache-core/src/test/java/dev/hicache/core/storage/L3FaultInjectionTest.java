package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.spi.RankGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.L3CostModel;

/**
 * L3 faults cost hit ratio, never a request and never wrong data (docs/design.md#invariants,
 * docs/behaviour.md#l3-faults). A request stream of multi-turn conversations (later turns extend
 * earlier ones, so L3 written by one turn serves the next) runs in virtual time through phases:
 * healthy, down, erroring, full, corrupting bytes, slow, healthy again — with the store behind
 * {@link FaultTolerantL3Store}. Every admitted request is followed by a check of every host page in
 * the tree against its key's bytes. Figures are printed and asserted: wrong pages served 0,
 * requests failed 0.
 */
class L3FaultInjectionTest {
  enum Phase {
    HEALTHY(FaultInjectingL3StoreDouble.Mode.HEALTHY, 1.0),
    DOWN(FaultInjectingL3StoreDouble.Mode.DOWN, 1.0),
    ERRORS(FaultInjectingL3StoreDouble.Mode.ERRORS, 0.3),
    FULL(FaultInjectingL3StoreDouble.Mode.FULL, 1.0),
    CORRUPT(FaultInjectingL3StoreDouble.Mode.CORRUPT, 0.2),
    SLOW(FaultInjectingL3StoreDouble.Mode.SLOW, 1.0),
    RECOVERED(FaultInjectingL3StoreDouble.Mode.HEALTHY, 1.0);

    final FaultInjectingL3StoreDouble.Mode mode;
    final double p;

    Phase(FaultInjectingL3StoreDouble.Mode mode, double p) {
      this.mode = mode;
      this.p = p;
    }
  }

  static final long TICK = 1_000_000; // 1 ms of virtual time per scheduler iteration
  static final int TICKS_PER_PHASE = 2_000;

  @Test void faults_costHitRatio_neverARequest_neverWrongData() {
    for (String policy : new String[] {"best_effort", "wait_complete", "timeout"}) run(policy, 20261125L);
  }

  private void run(String policyName, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    MapL3StoreDouble backing = new MapL3StoreDouble();
    FaultInjectingL3StoreDouble faulty = new FaultInjectingL3StoreDouble(backing, seed);
    faulty.slow(40_000_000); // 40 ms more per L3 call while SLOW
    PrefetchRig.VClock sharedClock = new PrefetchRig.VClock();
    FaultTolerantL3Store tolerant = FaultTolerantL3Store.builder(faulty, sharedClock)
        .retries(2).detachAfter(5).backoffNanos(5_000_000, 200_000_000).probeIntervalNanos(100_000_000, 500_000_000).build();
    L3CostModel base = L3CostModel.link(20e9, 10e9, 200_000);
    L3CostModel cost = new L3CostModel() {
      @Override public long queryNanos(int keys) { return base.queryNanos(keys) + faulty.extraLatencyNanos(); }
      @Override public long readNanos(int pages, long bytes) { return base.readNanos(pages, bytes) + faulty.extraLatencyNanos(); }
      @Override public long writeNanos(int pages, long bytes) { return base.writeNanos(pages, bytes) + faulty.extraLatencyNanos(); }
    };
    var config = PrefetchRig.config(policyName, 16);
    Map<Phase, long[]> figures = new LinkedHashMap<>();
    long requestsFailed = 0;
    long wrongPages = 0;
    long admitted = 0;
    long enqueued = 0;
    try (PrefetchRig rig = new PrefetchRig(config, null, tolerant, cost, RankGroup.single(), 4096, 512, null)) {
      // The decorator reads sharedClock, kept equal to the rig's clock.
      int conversations = 6;
      int[][] history = new int[conversations][];
      for (int c = 0; c < conversations; c++) history[c] = PrefetchRig.tokens(r.nextLong(), 40 + r.nextInt(80));
      List<Long> waiting = new ArrayList<>();
      Map<Long, Integer> reach = new LinkedHashMap<>();
      Map<Long, int[]> prompts = new LinkedHashMap<>();
      long nextRid = 0;
      int tick = 0;
      for (Phase phase : Phase.values()) {
        faulty.set(phase.mode, phase.p);
        long tried0 = faulty.operationsTried, faults0 = faulty.faultsInjected, admitted0 = admitted;
        long prefetched0 = rig.metrics.counter(StorageMetrics.PREFETCHED_TOKENS);
        long mismatch0 = rig.metrics.counter(StorageMetrics.CHECKSUM_MISMATCH_PAGES);
        for (int t = 0; t < TICKS_PER_PHASE; t++, tick++) {
          rig.clock.now = (long) tick * TICK;
          sharedClock.now = rig.clock.now;
          try {
            if (r.nextInt(20) == 0) {
              // The next turn of a conversation: its history plus new tokens. Once in a while the
              // local L2 forgets everything (host eviction), so the turn must come from L3.
              int c = r.nextInt(conversations);
              if (r.nextInt(3) == 0) rig.tree.evictHost(rig.tree.hostPages(), rig.host::freeFromTree);
              int[] prompt = PrefetchRig.concat(history[c], PrefetchRig.tokens(r.nextLong(), 8 + r.nextInt(60)));
              history[c] = prompt.length > 1500 ? PrefetchRig.tokens(r.nextLong(), 40) : prompt;
              long rid = nextRid++;
              enqueued++;
              prompts.put(rid, prompt);
              waiting.add(rid);
              reach.put(rid, tick + r.nextInt(30)); // the scheduler is busy for a while
              rig.sc.prefetch(rid, prompt, prompt.length - 1);
            }
            rig.sc.tick();
            if (t % 16 == 0) rig.checkInvariants();
            for (var it = waiting.iterator(); it.hasNext(); ) {
              long rid = it.next();
              if (reach.get(rid) > tick) continue;
              if (rig.sc.checkProgress(rid)) {
                it.remove();
                admitted++;
                rig.sc.takeStorageHitTokens(rid);
                // Serving reads the request's cached prefix: every page of it must hold its key's bytes.
                int[] prompt = prompts.remove(rid);
                wrongPages += rig.wrongServedPages(prompt);
                rig.computeAndBackup(prompt);
              }
            }
          } catch (RuntimeException e) {
            requestsFailed++;
            throw new AssertionError("a fault escaped to the scheduler in phase " + phase + " (" + policyName + ")", e);
          }
        }
        rig.verifyAllHostPages(); // and nothing anywhere in L2 is wrong
        if (Boolean.getBoolean("hicache.faults.dump")) {
          System.out.println(phase + " " + rig.metrics.counter(StorageMetrics.PREFETCH_STARTED) + " hit " + rig.metrics.counter(StorageMetrics.L3_HIT_TOKENS)
              + " below " + rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, "below_threshold") + " l3 size " + backing.size()
              + " attached " + tolerant.attached() + " skipped " + rig.metrics.counter(StorageMetrics.BACKUP_SKIPPED_PAGES)
              + " written " + rig.metrics.counter(StorageMetrics.L3_PAGES, "write"));
        }
        figures.put(phase, new long[] {faulty.operationsTried - tried0, faulty.faultsInjected - faults0, admitted - admitted0,
            rig.metrics.counter(StorageMetrics.PREFETCHED_TOKENS) - prefetched0,
            rig.metrics.counter(StorageMetrics.CHECKSUM_MISMATCH_PAGES) - mismatch0});
      }
      // Drain: everything queued is admitted, nothing leaks.
      for (int t = 0; t < 100_000 && !(waiting.isEmpty() && rig.sc.idle()); t++, tick++) {
        rig.clock.now = (long) tick * TICK;
        sharedClock.now = rig.clock.now;
        rig.sc.tick();
        for (var it = waiting.iterator(); it.hasNext(); ) {
          long rid = it.next();
          if (rig.sc.checkProgress(rid)) {
            it.remove();
            admitted++;
          }
        }
      }
      requestsFailed += waiting.size();
      rig.checkInvariants();
      assertThat(rig.sc.occupiedTokens()).isZero();
      assertThat(rig.sc.ownedHostPages()).isZero();
      rig.verifyAllHostPages();
      var st = tolerant.stats();
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("[l3-faults %s] phase: ops tried / faults injected / requests admitted / prefetched tokens / checksum mismatches caught%n", policyName));
      figures.forEach((ph, f) -> sb.append(String.format("  %-9s %6d %6d %5d %7d %4d%n", ph, f[0], f[1], f[2], f[3], f[4])));
      sb.append(String.format("  total: ops tried %d, faults injected %d (pages corrupted %d), requests %d enqueued / %d admitted, "
              + "requests failed %d, wrong pages served %d; decorator: calls %d, attempts %d, failed calls %d, short-circuited %d, "
              + "detaches %d, re-attaches %d, probes %d, full writes %d; prefetch terminated %s; backup pages skipped %d%n",
          faulty.operationsTried, faulty.faultsInjected, faulty.pagesCorrupted, enqueued, admitted, requestsFailed, wrongPages,
          st.calls(), st.attempts(), st.failedCalls(), st.shortCircuited(), st.detaches(), st.reattaches(), st.probes(),
          st.fullWrites(), terminations(rig), rig.metrics.counter(StorageMetrics.BACKUP_SKIPPED_PAGES)));
      System.out.print(sb);
      if (Boolean.getBoolean("hicache.faults.dump")) System.out.print(rig.metrics.dump());
      assertThat(wrongPages).as("wrong pages served").isZero();
      assertThat(requestsFailed).as("requests failed").isZero();
      assertThat(admitted).isEqualTo(enqueued);
      assertThat(faulty.faultsInjected).as("faults were injected").isPositive();
      assertThat(figures.get(Phase.CORRUPT)[4]).as("corrupt pages were caught by checksums").isPositive();
      assertThat(st.detaches()).as("the store was detached while down").isPositive();
      assertThat(st.reattaches()).as("and re-attached once healthy").isPositive();
      assertThat(figures.get(Phase.HEALTHY)[3]).as("prefetch works while healthy").isPositive();
      assertThat(figures.get(Phase.RECOVERED)[3]).as("and again after recovery").isPositive();
      assertThat(figures.get(Phase.DOWN)[0] * 10).as("detached: L3 calls while down are a small fraction of healthy ones")
          .isLessThan(figures.get(Phase.HEALTHY)[0]);
    }
  }

  private static String terminations(PrefetchRig rig) {
    StringBuilder sb = new StringBuilder("{");
    for (TerminalReason t : TerminalReason.values()) {
      long n = rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, t.label());
      if (n > 0) sb.append(sb.length() > 1 ? ", " : "").append(t.label()).append('=').append(n);
    }
    return sb.append('}').toString();
  }
}
