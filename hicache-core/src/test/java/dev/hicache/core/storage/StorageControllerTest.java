package dev.hicache.core.storage;

import dev.hicache.api.metrics.TerminalReason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.RankGroup;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.tree.EvictionPolicies;
import dev.hicache.core.tree.HiRadixTree;
import dev.hicache.core.tree.TreeNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.hicache.core.sim.L3CostModel;

/**
 * The storage controller's rules one by one (docs/behaviour.md#prefetch, #prefetch-accounting,
 * #backup-to-l3, #deliberate-differences-from-sglang).
 */
class StorageControllerTest {
  static final int PS = PrefetchRig.PAGE_SIZE;
  static final long MS = 1_000_000;

  private static PrefetchRig rig(HiCacheConfig c, L3Store store, int hostPages, int deviceTokens) {
    return new PrefetchRig(c, null, store, L3CostModel.fixed(MS), RankGroup.single(), hostPages, deviceTokens, null);
  }

  private static HiCacheConfig cfg(PrefetchPolicyKind p) {
    return HiCacheConfig.builder().pageSize(PS).prefetchThreshold(16).prefetchPolicy(p).build();
  }

  /** Ticks every ms until the request is admitted; returns the tick count. */
  private static int runUntilAdmitted(PrefetchRig rig, long rid) {
    for (int i = 1; i < 10_000; i++) {
      rig.clock.now += MS;
      rig.sc.tick();
      rig.checkInvariants();
      if (rig.sc.checkProgress(rid)) return i;
    }
    throw new AssertionError("request " + rid + " never admitted");
  }

  private static void drain(PrefetchRig rig) {
    for (int i = 0; i < 10_000 && !rig.sc.idle(); i++) {
      rig.clock.now += MS;
      rig.sc.tick();
      rig.checkInvariants();
    }
    assertThat(rig.sc.idle()).isTrue();
  }

  @Test void coldInstance_rootIsAValidAnchor_wholeHitArrivesInBatchesOf128() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(1, 300 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 300);
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 1024, 128)) {
      PrefetchOperation op = rig.sc.prefetch(7, t, t.length - 1);
      assertThat(op).as("empty tree: the root anchors the prefetch").isNotNull();
      assertThat(op.anchor.isRoot()).isTrue();
      assertThat(rig.sc.checkProgress(7)).isFalse();
      runUntilAdmitted(rig, 7);
      assertThat(op.state()).isEqualTo(PrefetchState.TERMINATED);
      assertThat(op.reason()).isEqualTo(TerminalReason.COMPLETE);
      assertThat(rig.sc.takeStorageHitTokens(7)).isEqualTo(300 * PS);
      var pgs = rig.metrics.distribution(StorageMetrics.PREFETCH_PGS, null);
      assertThat(pgs.count()).isEqualTo(3);
      assertThat(pgs.max()).isEqualTo(128);
      assertThat(rig.verifyAllHostPages()).isEqualTo(300);
      assertThat(rig.tree.matchPrefix(t, t.length - 1).hostHitPages()).isEqualTo(300);
      drain(rig);
      assertThat(rig.sc.occupiedTokens()).isZero();
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_COMPLETED)).isEqualTo(1);
      assertThat(rig.metrics.counter(StorageMetrics.L3_PAGES, "read")).isEqualTo(300);
    }
  }

  @Test void shortRequest_isNotStarted_andABelowThresholdHitIsRevokedWithItsReasonCounted() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(2, 40 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 3); // 12 tokens < threshold 16
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 256, 64)) {
      assertThat(rig.sc.prefetch(1, PrefetchRig.tokens(3, 9), 8)).isNull();
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_SKIPPED, "below_threshold")).isEqualTo(1);
      PrefetchOperation op = rig.sc.prefetch(2, t, t.length - 1);
      assertThat(rig.sc.occupiedTokens()).isEqualTo(40 * PS);
      assertThat(rig.host.prefetchOwnedPages()).as("our profile allocates nothing before the query").isZero();
      int ticks = runUntilAdmitted(rig, 2);
      assertThat(ticks).as("a miss admits as soon as the query answers").isLessThanOrEqualTo(2);
      assertThat(op.state()).isEqualTo(PrefetchState.REVOKED);
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, "below_threshold")).isEqualTo(1);
      assertThat(rig.sc.occupiedTokens()).isZero();
    }
  }

  @Test void compatibleProfile_allocatesForTheWholeRequestFirst_thenReleasesBeyondTheHit() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(4, 50 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 20);
    HiCacheConfig c = cfg(PrefetchPolicyKind.WAIT_COMPLETE).toBuilder().sglangCompatible(true).build();
    try (PrefetchRig rig = rig(c, store, 256, 64)) {
      rig.sc.prefetch(1, t, t.length - 1);
      assertThat(rig.host.prefetchOwnedPages()).isEqualTo(50);
      runUntilAdmitted(rig, 1);
      assertThat(rig.sc.takeStorageHitTokens(1)).isEqualTo(20 * PS);
      drain(rig);
      assertThat(rig.host.prefetchOwnedPages()).isZero();
      assertThat(rig.host.treeOwnedPages()).isEqualTo(20);
    }
  }

  @Test void capacityLimit_thatComputesToZero_warnsAndGetsAFloor_exceptInTheCompatibleProfile() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.BEST_EFFORT), store, 64, 64 * PS)) {
      assertThat(rig.sc.warnings()).anyMatch(w -> w.contains("would switch every L3 read off") && w.contains("floor"));
      assertThat(rig.sc.capacityLimitTokens()).isPositive();
    }
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.BEST_EFFORT).toBuilder().sglangCompatible(true).build(), store, 64, 64 * PS)) {
      assertThat(rig.sc.warnings()).anyMatch(w -> w.contains("NO PREFETCH WILL RUN"));
      int[] t = PrefetchRig.tokens(5, 30 * PS + 1);
      assertThat(rig.sc.prefetch(1, t, t.length - 1)).isNull();
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_SKIPPED, "rate_limited")).isEqualTo(1);
    }
  }

  @Test void inFlightBudget_rateLimitsOnceOccupiedReachesIt() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    // host 100 pages, device 60 pages: limit 0.8 × 40 pages = 128 tokens
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 100, 60 * PS)) {
      assertThat(rig.sc.capacityLimitTokens()).isEqualTo(128);
      assertThat(rig.sc.prefetch(1, PrefetchRig.tokens(6, 40 * PS + 1), 40 * PS)).isNotNull();
      assertThat(rig.sc.prefetch(2, PrefetchRig.tokens(7, 40 * PS + 1), 40 * PS)).isNull();
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_SKIPPED, "rate_limited")).isEqualTo(1);
      runUntilAdmitted(rig, 1);
      assertThat(rig.sc.prefetch(3, PrefetchRig.tokens(8, 40 * PS + 1), 40 * PS)).isNotNull();
    }
  }

  @Test void abortDuringTransfer_freesPagesOnlyAfterTheirIoCompletes() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(9, 200 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 200);
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 512, 64)) {
      PrefetchOperation op = rig.sc.prefetch(1, t, t.length - 1);
      rig.clock.now += MS;
      rig.sc.tick(); // query answered, hit agreed, first read batch issued (due in 1 ms)
      assertThat(op.state()).isEqualTo(PrefetchState.TRANSFERRING);
      assertThat(rig.port.inFlight()).isEqualTo(1);
      rig.sc.abort(1);
      assertThat(op.reason()).isEqualTo(TerminalReason.ABORTED);
      assertThat(rig.sc.occupiedTokens()).isZero();
      assertThat(rig.host.prefetchOwnedPages())
          .as("the batch in flight still writes its 128 pages: not freed before its IO ends").isEqualTo(200);
      rig.sc.tick(); // not due yet: nothing freed
      assertThat(rig.host.prefetchOwnedPages()).isGreaterThanOrEqualTo(128);
      drain(rig);
      assertThat(rig.host.prefetchOwnedPages()).isZero();
      assertThat(rig.tree.hostPages()).isZero();
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCH_TERMINATED, "aborted")).isEqualTo(1);
    }
  }

  @Test void twoRequestsFetchingTheSamePages_secondInsertFindsDuplicates_andFreesThem() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(10, 60 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 60);
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 512, 64)) {
      rig.sc.prefetch(1, t, t.length - 1);
      rig.sc.prefetch(2, t.clone(), t.length - 1);
      runUntilAdmitted(rig, 1);
      runUntilAdmitted(rig, 2);
      assertThat(rig.sc.takeStorageHitTokens(1) + rig.sc.takeStorageHitTokens(2)).isEqualTo(60 * PS);
      assertThat(rig.metrics.counter(StorageMetrics.PREFETCHED_TOKENS)).isEqualTo(60 * PS);
      drain(rig);
      assertThat(rig.host.treeOwnedPages()).isEqualTo(60);
      assertThat(rig.host.prefetchOwnedPages()).isZero();
    }
  }

  @Test void backup_writesInBatchesOf128_protectsTheHostCopyUntilTheAck_andTheBackendDedups() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.BEST_EFFORT), store, 1024, 64)) {
      int[] t = PrefetchRig.tokens(11, 300 * PS);
      TreeNode n = rig.computeAndBackup(t);
      assertThat(n.hostRefCounter()).isEqualTo(1);
      assertThat(rig.tree.evictHost(10_000, rig.host::freeFromTree)).as("protected until the ack").isZero();
      drain(rig);
      assertThat(n.hostRefCounter()).isZero();
      assertThat(store.size()).isEqualTo(300);
      var pgs = rig.metrics.distribution(StorageMetrics.BACKUP_PGS, null);
      assertThat(pgs.count()).isEqualTo(3);
      assertThat(pgs.max()).isEqualTo(128);
      assertThat(rig.metrics.counter(StorageMetrics.BACKUPED_TOKENS, "storage")).isEqualTo(300 * PS);
      // Written pages come back byte for byte on another instance.
      try (PrefetchRig other = rig(cfg(PrefetchPolicyKind.WAIT_COMPLETE), store, 1024, 64)) {
        int[] q = PrefetchRig.concat(t, new int[] {1});
        other.sc.prefetch(1, q, q.length - 1);
        runUntilAdmitted(other, 1);
        assertThat(other.sc.takeStorageHitTokens(1)).isEqualTo(300 * PS);
        assertThat(other.verifyAllHostPages()).isEqualTo(300);
      }
      // A second backup of the same pages stores nothing new.
      rig.tree.evictHost(10_000, rig.host::freeFromTree);
      rig.computeAndBackup(t);
      drain(rig);
      assertThat(store.size()).isEqualTo(300);
    }
  }

  @Test void mla_onlyRankZeroWrites_otherRanksAckAtOnce() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    RankGroup rank1 = new RankGroup() {
      @Override public int rank() { return 1; }
      @Override public int size() { return 1; } // alone in this test: reductions are the identity
      @Override public void allReduceMin(long[] v) {}
      @Override public void allReduceMax(long[] v) {}
    };
    PrefetchRig.VClock clock = new PrefetchRig.VClock();
    HiRadixTree tree = new HiRadixTree(PS, EvictionPolicies.byName("lru"), clock, WritePolicyKind.WRITE_THROUGH, new PageHasher(PS), null);
    TreeHostPages host = new TreeHostPages(tree, 256);
    InMemoryMetrics m = new InMemoryMetrics();
    StorageController sc = StorageController.builder(tree, host, new VirtualTimeL3Port(new L3PageIo(store, null, PS, m), L3CostModel.fixed(MS), clock))
        .config(cfg(PrefetchPolicyKind.BEST_EFFORT)).rankGroup(rank1).clock(clock).metrics(m).mla(true).build();
    int[] t = PrefetchRig.tokens(12, 10 * PS);
    List<PageKey> keys = new PageHasher(PS).chain(t);
    var res = tree.insertHostOnly(tree.root(), t, 0, t.length, host.allocForTree(10), keys.toArray(new PageKey[0]));
    sc.backup(res.last());
    assertThat(sc.pendingBackups()).isEqualTo(1);
    sc.tick();
    assertThat(sc.pendingBackups()).isZero();
    assertThat(store.size()).isZero();
    assertThat(m.counter(StorageMetrics.BACKUPED_TOKENS, "storage")).isZero();
    sc.close();
  }

  @Test void nodeWithoutAHashChain_isNeverWritten() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    PrefetchRig.VClock clock = new PrefetchRig.VClock();
    HiRadixTree tree = new HiRadixTree(PS, EvictionPolicies.byName("lru"), clock, WritePolicyKind.WRITE_THROUGH, null, null);
    TreeHostPages host = new TreeHostPages(tree, 64);
    InMemoryMetrics m = new InMemoryMetrics();
    StorageController sc = StorageController.builder(tree, host, new VirtualTimeL3Port(new L3PageIo(store, null, PS, m), L3CostModel.fixed(MS), clock))
        .config(cfg(PrefetchPolicyKind.BEST_EFFORT)).clock(clock).metrics(m).build();
    int[] t = PrefetchRig.tokens(13, 8 * PS);
    var res = tree.insertHostOnly(tree.root(), t, 0, t.length, host.allocForTree(8), null);
    sc.backup(res.last());
    sc.tick();
    assertThat(store.size()).isZero();
    assertThat(m.counter(StorageMetrics.BACKUP_REFUSED_CHAIN)).isEqualTo(8);
    sc.close();
  }

  @Test void writesWithoutAnyRead_raiseTheAlarm() {
    MapL3StoreDouble store = new MapL3StoreDouble();
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.BEST_EFFORT), store, 1024, 64)) {
      rig.computeAndBackup(PrefetchRig.tokens(14, 20 * PS));
      drain(rig);
      for (int i = 0; i < 101; i++) rig.sc.prefetch(100 + i, PrefetchRig.tokens(15, 2 * PS + 1), 2 * PS);
      assertThat(rig.sc.writeWithoutReadAlarm()).isTrue();
      assertThat(rig.metrics.gauge(StorageMetrics.WRITE_WITHOUT_READ_ALARM, null)).isEqualTo(1);
      assertThat(rig.sc.warnings()).anyMatch(w -> w.contains("pure write overhead"));
    }
  }

  @Test void misuse_failsLoudly() {
    try (PrefetchRig rig = rig(cfg(PrefetchPolicyKind.BEST_EFFORT), new MapL3StoreDouble(), 256, 64)) {
      int[] t = PrefetchRig.tokens(16, 30 * PS + 1);
      rig.sc.prefetch(1, t, t.length - 1);
      assertThatThrownBy(() -> rig.sc.prefetch(1, t, t.length - 1)).hasMessageContaining("already has a prefetch");
      assertThatThrownBy(() -> rig.sc.prefetch(2, t, t.length + 1)).hasMessageContaining("outside");
      assertThatThrownBy(() -> rig.sc.apply(new long[3])).hasMessageContaining("consensus vector");
    }
  }

  @Test void threadedPort_prefetchesEndToEnd() throws Exception {
    MapL3StoreDouble store = new MapL3StoreDouble();
    int[] t = PrefetchRig.tokens(17, 150 * PS + 1);
    PrefetchRig.seedL3(store, null, t, 150);
    PrefetchRig.VClock unused = new PrefetchRig.VClock();
    HiRadixTree tree = new HiRadixTree(PS, EvictionPolicies.byName("lru"), unused, WritePolicyKind.WRITE_THROUGH, new PageHasher(PS), null);
    try (var pool = new dev.hicache.core.pool.OffHeapHostPool(PrefetchRig.SHAPE, dev.hicache.api.MemLayout.PAGE_FIRST, 512 * PS)) {
      TreeHostPages host = new TreeHostPages(tree, pool);
      StorageController sc = StorageController.builder(tree, host, new ThreadedL3Port(new L3PageIo(store, pool, PS, null)))
          .config(cfg(PrefetchPolicyKind.WAIT_COMPLETE)).build();
      sc.prefetch(1, t, t.length - 1);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!sc.checkProgress(1)) {
        if (System.nanoTime() > deadline) throw new AssertionError("threaded prefetch did not finish");
        sc.tick();
        Thread.sleep(1);
      }
      assertThat(sc.takeStorageHitTokens(1)).isEqualTo(150 * PS);
      assertThat(tree.matchPrefix(t, t.length - 1).hostHitPages()).isEqualTo(150);
      sc.close();
    }
  }

  @Test void otherConsensusValues_rideInTheSameSingleAllReduce() {
    var group = new dev.hicache.core.tp.StepRankGroup(2);
    List<PrefetchRig> rigs = List.of(
        new PrefetchRig(cfg(PrefetchPolicyKind.BEST_EFFORT), null, new MapL3StoreDouble(), L3CostModel.fixed(MS), group.member(0), 64, 16, null),
        new PrefetchRig(cfg(PrefetchPolicyKind.BEST_EFFORT), null, new MapL3StoreDouble(), L3CostModel.fixed(MS), group.member(1), 64, 16, null));
    long[][] agreed = new long[2][];
    for (int r = 0; r < 2; r++) {
      int rank = r;
      rigs.get(r).sc.addParticipant(new dev.hicache.core.tp.ConsensusParticipant() {
        @Override public int width() { return 2; }
        @Override public void gather(long[] v, int off) { v[off] = 10 + rank; v[off + 1] = -(10 + rank); } // MIN, and MAX negated
        @Override public void apply(long[] r2, int off) { agreed[rank] = new long[] {r2[off], -r2[off + 1]}; }
      });
    }
    group.round(rigs, x -> x.sc.gather(), (x, v) -> x.sc.apply(v));
    assertThat(agreed[0]).containsExactly(10, 11);
    assertThat(agreed[1]).containsExactly(10, 11);
    assertThat(group.rounds()).isEqualTo(1);
    for (PrefetchRig x : rigs) x.close();
  }
}
