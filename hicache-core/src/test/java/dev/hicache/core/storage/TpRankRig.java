package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.tp.StepRankGroup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import dev.hicache.core.sim.L3CostModel;

/**
 * Test driver for one TP rank of a generated scenario. Everything the scheduler sees (requests,
 * arrival and reach times, the local tree) is derived from the scenario seed alone and so is the
 * same on every rank; what L3 holds, L3 latencies and the clock's skew are derived from the seed
 * and the rank, so they differ.
 */
public final class TpRankRig implements AutoCloseable {
  /** What one rank ended with. */
  public record Outcome(int rank, Map<Long, Integer> admittedAt, Map<Long, Integer> agreedHits,
                        Map<Long, Integer> localHits, Map<Long, Integer> storageHit, List<String> hostContent,
                        long prefetchedTokens, long consensusRounds) {}

  static final int MAX_TICKS = 100_000;

  final int rank;
  final RankGroup group;
  final PrefetchRig rig;
  final int requests;
  final int[][] tokens;
  final int[] arrival;
  final int[] reach;
  final long tickNanos;
  final long skew;
  final Map<Long, PrefetchOperation> ops = new HashMap<>();
  final List<Long> pending = new ArrayList<>();
  int tick;

  public TpRankRig(long seed, int rank, int ranks, String policy, RankGroup group) {
    this.rank = rank;
    this.group = group;
    SplittableRandom shared = new SplittableRandom(seed);
    SplittableRandom own = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (rank + 1)));
    int ps = PrefetchRig.PAGE_SIZE;
    int threshold = ps * (1 + shared.nextInt(6));
    this.tickNanos = 500_000 + shared.nextLong(2_500_000);
    this.requests = 1 + shared.nextInt(4);
    PageKey nsSeed = shared.nextBoolean() ? null : dev.hicache.api.Namespace.seed(null, "salt-" + shared.nextInt(4));
    int[] common = PrefetchRig.tokens(shared.nextLong(), ps * shared.nextInt(30));
    tokens = new int[requests][];
    arrival = new int[requests];
    reach = new int[requests];
    MapL3StoreDouble store = new MapL3StoreDouble();
    for (int i = 0; i < requests; i++) {
      tokens[i] = PrefetchRig.concat(common, PrefetchRig.tokens(shared.nextLong(), ps * (1 + shared.nextInt(260)) + 1));
      arrival[i] = shared.nextInt(5);
      reach[i] = arrival[i] + (shared.nextInt(3) == 0 ? 0 : shared.nextInt(40));
      // Rank-local: how much of this request L3 holds for this rank (MHA keys carry the rank).
      int pages = tokens[i].length / ps;
      int held = own.nextInt(4) == 0 ? pages : own.nextInt(pages + 1);
      PrefetchRig.seedL3(store, nsSeed, tokens[i], held);
    }
    long queryNanos = 50_000 + own.nextLong(4_000_000);
    long readNanos = 100_000 + own.nextLong(6_000_000);
    this.skew = own.nextLong(2_000_000);
    L3CostModel cost = new L3CostModel() {
      @Override public long queryNanos(int keys) { return queryNanos; }
      @Override public long readNanos(int pages, long bytes) { return readNanos; }
      @Override public long writeNanos(int pages, long bytes) { return readNanos; }
    };
    this.rig = new PrefetchRig(PrefetchRig.config(policy, threshold), null, store, cost, group, 2048, 256, nsSeed);
    int hostPrefix = shared.nextBoolean() ? shared.nextInt(common.length / ps + 1) : 0;
    rig.seedHost(tokens[0], hostPrefix);
    for (long i = 0; i < requests; i++) pending.add(i);
  }

  /** Before the tick: time and arrivals (identical order on every rank). */
  void beforeTick() {
    rig.ticks = tick;
    rig.clock.now = tick * tickNanos + skew;
    for (int i = 0; i < requests; i++) {
      if (arrival[i] == tick) {
        rig.waiting.put((long) i, tokens[i]);
        PrefetchOperation op = rig.sc.prefetch(i, tokens[i], tokens[i].length - 1);
        if (op != null) ops.put((long) i, op);
      }
    }
  }

  /** After the tick: invariants, then the scheduler asks for the requests it reaches. */
  void afterTick() {
    rig.checkInvariants();
    final int now = tick;
    for (long rid : rig.askAndAdmit(rid -> reach[(int) rid] <= now)) pending.remove(rid);
    tick++;
  }

  boolean done() {
    return pending.isEmpty() && rig.sc.idle();
  }

  /** This rank's loop on its own thread: the tick's consensus and one driver all-reduce to agree on stopping. */
  public Outcome runThreaded() {
    while (tick < MAX_TICKS) {
      beforeTick();
      rig.sc.tick();
      afterTick();
      long[] notDone = {done() ? 0 : 1};
      group.allReduceMax(notDone);
      if (notDone[0] == 0) return outcome();
    }
    throw new AssertionError("rank " + rank + " did not finish in " + MAX_TICKS + " ticks");
  }

  /** All ranks in one thread: gather on each, reduce, apply on each. */
  public static List<Outcome> runStepSynchronous(List<TpRankRig> rigs, StepRankGroup group) {
    for (int t = 0; t < MAX_TICKS; t++) {
      for (TpRankRig r : rigs) r.beforeTick();
      group.round(rigs, r -> r.rig.sc.gather(), (r, v) -> r.rig.sc.apply(v));
      boolean all = true;
      for (TpRankRig r : rigs) {
        r.afterTick();
        all &= r.done();
      }
      if (all) {
        List<Outcome> out = new ArrayList<>();
        for (TpRankRig r : rigs) out.add(r.outcome());
        return out;
      }
    }
    throw new AssertionError("ranks did not finish in " + MAX_TICKS + " ticks");
  }

  Outcome outcome() {
    Map<Long, Integer> agreed = new TreeMap<>();
    Map<Long, Integer> local = new TreeMap<>();
    for (var e : ops.entrySet()) {
      PrefetchOperation op = e.getValue();
      if (op.hitTokens() >= 0) agreed.put(e.getKey(), op.hitTokens());
      local.put(e.getKey(), op.localHitTokens);
    }
    if (rig.sc.occupiedTokens() != 0 || rig.sc.ownedHostPages() != 0) {
      throw new AssertionError("rank " + rank + " ended with occupied " + rig.sc.occupiedTokens() + ", owned pages " + rig.sc.ownedHostPages());
    }
    rig.verifyAllHostPages();
    return new Outcome(rank, new TreeMap<>(rig.admittedAt), agreed, local, new TreeMap<>(rig.storageHit), rig.hostContent(),
        rig.metrics.counter(StorageMetrics.PREFETCHED_TOKENS), rig.metrics.counter(StorageMetrics.CONSENSUS_TICKS));
  }

  @Override public void close() {
    rig.close();
  }
}
