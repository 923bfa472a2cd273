package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.MemLayout;
import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.Tier;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.PrefetchPolicyKind;
import dev.hicache.api.config.WritePolicyKind;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.core.engine.HintResult.Hint;
import dev.hicache.core.engine.HintResult.Reason;
import dev.hicache.core.metrics.InMemoryMetrics;
import dev.hicache.core.sim.CostModel;
import dev.hicache.core.sim.L3CostModel;
import dev.hicache.core.tp.StepRankGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The cache-control hints scenario by scenario (docs/engine-integration.md#cache-control), on the
 * deterministic shell with real bytes: every cached prefix a request reads is checked against its
 * page keys. {@link CacheControlPropertyTest} drives them in random interleavings.
 */
class CacheControlTest {
  private static final int PAGE = EngineScript.PAGE;
  private static final String PINS_ENDED = HiCacheMetric.PINS_ENDED.key();
  private static final String HINT_PAGES = HiCacheMetric.HINT_PAGES.key();

  /** One cache on keyed pools, serving requests as an engine would. */
  private static final class Rig implements AutoCloseable {
    final InMemoryMetrics metrics = new InMemoryMetrics();
    final KeyedDevicePoolDouble device;
    final HiCache cache;

    Rig(WritePolicyKind policy, int devicePages, int hostPages, double share, InMemoryL3StoreDouble l3) {
      HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).writePolicy(policy)
          .prefetchPolicy(PrefetchPolicyKind.WAIT_COMPLETE).prefetchThreshold(2 * PAGE).loadBackThreshold(PAGE).build();
      device = new KeyedDevicePoolDouble(EngineScript.SHAPE, devicePages * PAGE);
      HiCache.Builder b = HiCache.builder(config).devicePool(device).metrics(metrics).pinnedShare(share)
          .deterministic(CostModel.link(1e9, 1e9, 1_000));
      if (hostPages > 0) b.hostPool(new CorruptibleHostPoolDouble(EngineScript.SHAPE, MemLayout.PAGE_FIRST, hostPages * PAGE));
      if (l3 != null) b.storage(l3).l3Cost(L3CostModel.link(1e9, 1e9, 10_000));
      cache = b.build();
    }

    /** Admits, checks the cached prefix, computes the rest, finishes; returns the request. */
    CacheRequest serve(int[] tokens) {
      return serve(tokens, null);
    }

    /** {@link #serve(int[])} for a request of {@code ns}: its page bytes derive from keys chained from its seed. */
    CacheRequest serve(int[] tokens, Namespace ns) {
      CacheRequest r = ns == null ? cache.admit(tokens) : cache.admit(tokens, 0, ns);
      cache.deterministicShell().runUntil(() -> r.load().isDone());
      List<PageKey> keys = KeyedPages.keys(ns == null ? null : ns.seed(), tokens, tokens.length, PAGE);
      int[] pages = r.devicePages();
      for (int i = 0; i < r.cachedTokens() / PAGE; i++) {
        assertThat(device.pageHolds(pages[i], keys.get(i))).as("cached page " + i).isTrue();
      }
      while (!cache.extend(r, tokens.length)) assertThat(cache.deterministicShell().runNext()).as("room on the device").isTrue();
      pages = r.devicePages();
      for (int i = r.cachedTokens() / PAGE; i < tokens.length / PAGE; i++) device.fillPage(pages[i], keys.get(i));
      cache.finish(r, tokens, tokens.length);
      cache.poll();
      cache.checkInvariants();
      return r;
    }

    long pinsEnded(String why) { return metrics.counter(PINS_ENDED, why); }

    void advance(long nanos) {
      DeterministicShell s = cache.deterministicShell();
      s.advanceTo(s.now() + nanos);
    }

    @Override public void close() {
      cache.close();
      assertThat(device.outstandingBytes()).isZero();
    }
  }

  private static int[] tokens(long seed, int n) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = rnd.nextInt(30_000);
    return t;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static final int[] SYSTEM = tokens(1, 4 * PAGE);

  /** Serves the system prompt once, then a storm of unrelated prompts; returns what the prompt hits afterwards. */
  private static CacheRequest stormThenAsk(Rig rig, boolean pin) {
    rig.serve(concat(SYSTEM, tokens(2, 1)));
    if (pin) {
      HintResult res = rig.cache.pin(SYSTEM, Duration.ofSeconds(1));
      assertThat(res).isEqualTo(new HintResult(Hint.PIN, 4, 4, Reason.APPLIED));
    }
    for (int i = 0; i < 30; i++) rig.serve(tokens(100 + i, 6 * PAGE + 1));
    return rig.serve(concat(SYSTEM, tokens(3, 1)));
  }

  @Test void pinnedPrefix_staysOnTheDevice_throughAnEvictionStorm() {
    try (Rig pinned = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null);
         Rig plain = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      assertThat(stormThenAsk(pinned, true).deviceHitTokens()).isEqualTo(SYSTEM.length);
      assertThat(stormThenAsk(plain, false).deviceHitTokens()).isZero();
      assertThat(pinned.cache.pins()).singleElement().satisfies(p -> {
        assertThat(p.tokens()).isEqualTo(SYSTEM);
        assertThat(p.devicePages()).isEqualTo(4);
        assertThat(p.hostPages()).isZero();
      });
      assertThat(pinned.metrics.gauge(HiCacheMetric.PINNED_PAGES.key(), "device")).isEqualTo(4);
    }
  }

  @Test void pinnedHostOnlyPrefix_staysOnTheHost_throughAHostEvictionStorm() {
    for (boolean pin : new boolean[] {true, false}) {
      try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 8, 20, 0.25, null)) {
        rig.serve(concat(SYSTEM, tokens(2, 1)));
        rig.cache.deterministicShell().drain();
        assertThat(rig.cache.demote(SYSTEM).reason()).isEqualTo(Reason.APPLIED); // host-only now
        if (pin) {
          assertThat(rig.cache.pin(SYSTEM, Duration.ofSeconds(1))).isEqualTo(new HintResult(Hint.PIN, 4, 4, Reason.APPLIED));
          assertThat(rig.cache.pins().getFirst().hostPages()).isEqualTo(4);
        }
        for (int i = 0; i < 20; i++) rig.serve(tokens(200 + i, 6 * PAGE + 1));
        rig.cache.deterministicShell().drain(); // the last backups release the device pages a load-back needs
        CacheRequest r = rig.serve(concat(SYSTEM, tokens(3, 1)));
        assertThat(r.cachedTokens()).as(pin ? "pinned" : "not pinned").isEqualTo(pin ? SYSTEM.length : 0);
      }
    }
  }

  @Test void pinBeyondTheBudget_pinsTheLeadingPagesThatFit_andSharedPagesCostNothing() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) { // 4 device pages may be pinned
      int[] a = tokens(5, 6 * PAGE);
      rig.serve(concat(a, tokens(6, 1)));
      HintResult r = rig.cache.pin(a, Duration.ofSeconds(1));
      assertThat(r).isEqualTo(new HintResult(Hint.PIN, 6, 4, Reason.BUDGET_EXHAUSTED));
      assertThat(rig.cache.pins().getFirst().devicePages()).isEqualTo(4);
      // A prefix of what is pinned costs nothing more.
      assertThat(rig.cache.pin(Arrays.copyOf(a, 2 * PAGE), Duration.ofSeconds(1)).reason()).isEqualTo(Reason.APPLIED);
      int[] b = tokens(7, 3 * PAGE);
      rig.serve(concat(b, tokens(8, 1)));
      assertThat(rig.cache.pin(b, Duration.ofSeconds(1))).isEqualTo(new HintResult(Hint.PIN, 3, 0, Reason.BUDGET_EXHAUSTED));
      assertThat(rig.cache.pins()).hasSize(2);
      // Partly cached: the cached pages are pinned, the rest is reported not cached.
      assertThat(rig.cache.unpin(a).appliedPages()).isEqualTo(4);
      assertThat(rig.cache.unpin(Arrays.copyOf(a, 2 * PAGE)).appliedPages()).isEqualTo(2);
      assertThat(rig.cache.pin(concat(b, tokens(9, 2 * PAGE)), Duration.ofSeconds(1)))
          .isEqualTo(new HintResult(Hint.PIN, 5, 3, Reason.NOT_CACHED));
      assertThat(rig.cache.pin(tokens(10, 2 * PAGE), Duration.ofSeconds(1)))
          .isEqualTo(new HintResult(Hint.PIN, 2, 0, Reason.NOT_CACHED));
      assertThat(rig.metrics.counter(HiCacheMetric.HINTS_NOT_APPLIED.key(), "budget_exhausted")).isEqualTo(2);
      assertThat(rig.metrics.counter(HiCacheMetric.HINTS.key(), "pin")).isEqualTo(5);
    }
  }

  @Test void pinExpiresAtItsDeadline_onTheCachesClock() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      long now = rig.cache.deterministicShell().now();
      rig.cache.pin(SYSTEM, Duration.ofNanos(50_000));
      assertThat(rig.cache.pins().getFirst().deadlineNanos()).isEqualTo(now + 50_000);
      rig.advance(49_999);
      assertThat(rig.cache.pins()).hasSize(1);
      rig.advance(1);
      assertThat(rig.cache.pins()).isEmpty();
      assertThat(rig.pinsEnded("expired")).isEqualTo(1);
      rig.cache.checkInvariants();
      // Expired, it is evicted like anything else.
      for (int i = 0; i < 30; i++) rig.serve(tokens(100 + i, 6 * PAGE + 1));
      assertThat(rig.serve(concat(SYSTEM, tokens(3, 1))).deviceHitTokens()).isZero();
    }
  }

  @Test void unpin_endsThePinEarly_renewingReplacesIt() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      assertThat(rig.cache.unpin(SYSTEM)).isEqualTo(new HintResult(Hint.UNPIN, 4, 0, Reason.NOT_PINNED));
      rig.cache.pin(SYSTEM, Duration.ofNanos(10_000));
      rig.cache.pin(SYSTEM, Duration.ofSeconds(5)); // renewed: one pin, the later deadline
      assertThat(rig.cache.pins()).singleElement()
          .satisfies(p -> assertThat(p.deadlineNanos()).isEqualTo(rig.cache.deterministicShell().now() + 5_000_000_000L));
      rig.advance(20_000);
      assertThat(rig.cache.pins()).hasSize(1);
      assertThat(rig.cache.unpin(concat(SYSTEM, tokens(4, 3)))).isEqualTo(new HintResult(Hint.UNPIN, 4, 4, Reason.APPLIED));
      assertThat(rig.cache.pins()).isEmpty();
      assertThat(rig.pinsEnded("unpinned")).isEqualTo(1);
      assertThat(rig.metrics.gauge(HiCacheMetric.PINNED_PAGES.key(), "device")).isZero();
      for (int i = 0; i < 30; i++) rig.serve(tokens(100 + i, 6 * PAGE + 1));
      assertThat(rig.serve(concat(SYSTEM, tokens(3, 1))).deviceHitTokens()).isZero();
    }
  }

  @Test void pinsGiveWay_toARequestThatFindsNoRoomOtherwise() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.5, null)) { // 8 device pages may be pinned
      int[] big = tokens(11, 8 * PAGE);
      rig.serve(concat(big, tokens(12, 1)));
      assertThat(rig.cache.pin(big, Duration.ofSeconds(1)).appliedPages()).isEqualTo(8);
      // 8 pages fit beside the pin: it holds.
      rig.serve(tokens(13, 8 * PAGE));
      assertThat(rig.cache.pins()).hasSize(1);
      // 12 pages do not: the pin gives way and the request runs.
      CacheRequest r = rig.serve(tokens(14, 12 * PAGE));
      assertThat(r.cachedTokens()).isZero();
      assertThat(rig.cache.pins()).isEmpty();
      assertThat(rig.pinsEnded("yielded")).isEqualTo(1);
    }
  }

  @Test void demote_movesThePrefixToTheHost_andARequestLoadsItBack() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      rig.cache.deterministicShell().drain();
      rig.cache.poll();
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 4, Reason.APPLIED));
      assertThat(rig.cache.deviceCachedTokens()).isZero();
      assertThat(rig.cache.hostCachedTokens()).isEqualTo(SYSTEM.length);
      CacheRequest r = rig.serve(concat(SYSTEM, tokens(3, 1)));
      assertThat(r.hostHitTokens()).isEqualTo(SYSTEM.length);
      assertThat(rig.cache.demote(tokens(99, 8))).isEqualTo(new HintResult(Hint.DEMOTE, 2, 0, Reason.NOT_CACHED));
    }
  }

  @Test void demote_ofAPrefix_takesWhatExtendsIt_butNotWhatOthersShare() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 32, 80, 0.25, null)) {
      int[] convA = concat(SYSTEM, tokens(20, 3 * PAGE));
      int[] convB = concat(SYSTEM, tokens(21, 2 * PAGE));
      rig.serve(concat(convA, tokens(22, 1)));
      rig.serve(concat(convB, tokens(23, 1)));
      rig.cache.deterministicShell().drain();
      rig.cache.poll();
      // Conversation A: its own pages go, the system prompt stays for B.
      HintResult a = rig.cache.demote(convA);
      assertThat(a).isEqualTo(new HintResult(Hint.DEMOTE, 7, 3, Reason.SHARED));
      assertThat(rig.cache.deviceCachedTokens()).isEqualTo((4 + 2) * PAGE);
      // The system prompt: B extends it, so B goes too.
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 6, Reason.APPLIED));
      assertThat(rig.cache.deviceCachedTokens()).isZero();
      assertThat(rig.serve(concat(convA, tokens(24, 1))).hostHitTokens()).isEqualTo(convA.length);
    }
  }

  @Test void demote_leavesWhatIsInUseOrPinned_andSaysWhy() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      rig.cache.deterministicShell().drain();
      CacheRequest running = rig.cache.admit(concat(SYSTEM, tokens(3, 1)));
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 0, Reason.IN_USE));
      rig.cache.abort(running);
      rig.cache.pin(SYSTEM, Duration.ofSeconds(1));
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 0, Reason.PINNED));
      rig.cache.unpin(SYSTEM);
      assertThat(rig.cache.demote(SYSTEM).reason()).isEqualTo(Reason.APPLIED);
      assertThat(rig.metrics.counter(HiCacheMetric.HINTS_NOT_APPLIED.key(), "in_use")).isEqualTo(1);
      assertThat(rig.metrics.counter(HiCacheMetric.HINTS_NOT_APPLIED.key(), "pinned")).isEqualTo(1);
    }
    try (Rig l1Only = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 0, 0.25, null)) {
      l1Only.serve(concat(SYSTEM, tokens(2, 1)));
      assertThat(l1Only.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 0, Reason.NO_HOST_TIER));
      assertThat(l1Only.cache.deviceCachedTokens()).isEqualTo(SYSTEM.length);
    }
  }

  @Test void demote_underWriteBack_copiesDownFirst_andMovesAtTheAck() {
    try (Rig rig = new Rig(WritePolicyKind.WRITE_BACK, 16, 40, 0.25, null)) {
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      assertThat(rig.cache.hostCachedTokens()).isZero(); // write_back: no host copy yet
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 0, Reason.PENDING));
      assertThat(rig.cache.deviceCachedTokens()).isEqualTo(SYSTEM.length); // the only copy stays until the ack
      rig.cache.deterministicShell().drain();
      rig.cache.poll();
      assertThat(rig.cache.deviceCachedTokens()).isZero();
      assertThat(rig.metrics.counter(HINT_PAGES, "demote")).isEqualTo(4);
      assertThat(rig.serve(concat(SYSTEM, tokens(3, 1))).hostHitTokens()).isEqualTo(SYSTEM.length);
    }
  }

  @Test void prefetchHint_bringsAPrefixFromL3IntoTheHostTier_admittingNothing() {
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    int[] doc = tokens(30, 10 * PAGE);
    try (Rig a = new Rig(WritePolicyKind.WRITE_THROUGH, 32, 80, 0.25, l3)) {
      a.serve(concat(doc, tokens(31, 1)));
      a.cache.deterministicShell().drain();
      assertThat(a.cache.prefetch(doc)).isEqualTo(new HintResult(Hint.PREFETCH, 10, 0, Reason.ALREADY_CACHED));
    }
    try (Rig b = new Rig(WritePolicyKind.WRITE_THROUGH, 32, 80, 0.25, l3)) {
      assertThat(b.cache.prefetch(doc)).isEqualTo(new HintResult(Hint.PREFETCH, 10, 10, Reason.APPLIED));
      assertThat(b.cache.prefetch(doc)).isEqualTo(new HintResult(Hint.PREFETCH, 10, 0, Reason.ALREADY_PREFETCHING));
      assertThat(b.cache.prefetch(Arrays.copyOf(tokens(32, 8), 4)).reason()).isEqualTo(Reason.BELOW_THRESHOLD);
      b.cache.deterministicShell().drain();
      b.cache.poll();
      assertThat(b.cache.hostCachedTokens()).isEqualTo(doc.length);
      assertThat(b.cache.deviceCachedTokens()).isZero();
      assertThat(b.cache.controller().liveRequests()).isZero();
      assertThat(b.metrics.counter(HiCacheMetric.HINT_PREFETCHED_TOKENS.key())).isEqualTo(doc.length);
      CacheRequest r = b.serve(concat(doc, tokens(33, 1)));
      assertThat(r.hostHitTokens()).isEqualTo(doc.length); // its bytes were checked by serve
      assertThat(b.cache.prefetch(doc).reason()).isEqualTo(Reason.ALREADY_CACHED);
    }
    try (Rig noL3 = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      assertThat(noL3.cache.prefetch(doc)).isEqualTo(new HintResult(Hint.PREFETCH, 10, 0, Reason.NO_L3));
    }
  }

  @Test void namespacedHints_actOnlyOnPagesOfTheirNamespace() {
    Namespace a = Namespace.ofSglang("lora-a", null);
    Namespace b = Namespace.ofSglang(null, "salt-b");
    InMemoryL3StoreDouble l3 = new InMemoryL3StoreDouble();
    int[] doc = tokens(40, 10 * PAGE);
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 32, 80, 0.5, l3)) {
      // The same tokens cached twice: under the default namespace and under a.
      rig.serve(concat(SYSTEM, tokens(2, 1)));
      rig.serve(concat(SYSTEM, tokens(2, 1)), a);
      rig.serve(concat(doc, tokens(41, 1)), a);
      rig.cache.deterministicShell().drain();
      long aDevice = rig.cache.namespaceTokens(a, Tier.DEVICE);
      assertThat(rig.cache.pin(SYSTEM, Duration.ofSeconds(1), b)).isEqualTo(new HintResult(Hint.PIN, 4, 0, Reason.NOT_CACHED));
      assertThat(rig.cache.demote(SYSTEM, b)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 0, Reason.NOT_CACHED));
      assertThat(rig.cache.pin(SYSTEM, Duration.ofSeconds(1), a)).isEqualTo(new HintResult(Hint.PIN, 4, 4, Reason.APPLIED));
      assertThat(rig.cache.pin(SYSTEM, Duration.ofSeconds(1))).isEqualTo(new HintResult(Hint.PIN, 4, 4, Reason.APPLIED));
      assertThat(rig.cache.pins()).extracting(HiCache.PinnedPrefix::namespace).containsExactly(a, null);
      assertThat(rig.cache.unpin(SYSTEM, b).reason()).isEqualTo(Reason.NOT_PINNED);
      assertThat(rig.cache.unpin(SYSTEM).reason()).isEqualTo(Reason.APPLIED);
      assertThat(rig.cache.pins()).singleElement().satisfies(p -> assertThat(p.namespace()).isEqualTo(a));
      // The default namespace's copy leaves the device; a's stays (pinned), and its bytes are a's.
      assertThat(rig.cache.demote(SYSTEM, a).reason()).isEqualTo(Reason.PINNED);
      assertThat(rig.cache.demote(SYSTEM)).isEqualTo(new HintResult(Hint.DEMOTE, 4, 4, Reason.APPLIED));
      assertThat(rig.cache.namespaceTokens(a, Tier.DEVICE)).isEqualTo(aDevice);
      for (int i = 0; i < 20; i++) rig.serve(tokens(300 + i, 6 * PAGE + 1));
      assertThat(rig.serve(concat(SYSTEM, tokens(3, 1)), a).deviceHitTokens()).isEqualTo(SYSTEM.length);
      rig.cache.deterministicShell().drain();
    }
    // A prefetch hint looks for L3 pages keyed from its namespace's seed only.
    try (Rig cold = new Rig(WritePolicyKind.WRITE_THROUGH, 32, 80, 0.25, l3)) {
      cold.cache.prefetch(doc, b);
      cold.cache.prefetch(doc);
      assertThat(cold.cache.prefetch(doc, a)).isEqualTo(new HintResult(Hint.PREFETCH, 10, 10, Reason.APPLIED));
      cold.cache.deterministicShell().drain();
      cold.cache.poll();
      assertThat(cold.metrics.counter(HiCacheMetric.HINT_PREFETCHED_TOKENS.key())).isEqualTo(doc.length);
      assertThat(cold.cache.namespaceTokens(a, Tier.HOST)).isEqualTo(doc.length);
      assertThat(cold.cache.namespaceTokens(b, Tier.HOST)).isZero();
      assertThat(cold.cache.namespaceTokens(null, Tier.HOST)).isZero();
      assertThat(cold.cache.prefetch(doc, a).reason()).isEqualTo(Reason.ALREADY_CACHED);
      assertThat(cold.serve(concat(doc, tokens(42, 1)), a).hostHitTokens()).isEqualTo(doc.length); // a's bytes, checked
      assertThat(cold.serve(concat(doc, tokens(42, 1))).cachedTokens()).isZero();
    }
  }

  @Test void withTp_pinsEndOnlyWhenEveryRankHasPassedTheDeadline() {
    StepRankGroup group = new StepRankGroup(2);
    List<HiCache> ranks = new ArrayList<>();
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).build();
    for (int rank = 0; rank < 2; rank++) {
      ranks.add(HiCache.builder(config).metadataOnly(EngineScript.SHAPE, 16 * PAGE, 40 * PAGE)
          .deterministic(CostModel.link(1e9, 1e9, 1_000)).rankGroup(group.member(rank)).build());
    }
    try {
      for (HiCache c : ranks) {
        CacheRequest r = c.admit(concat(SYSTEM, tokens(2, 1)));
        assertThat(c.extend(r, SYSTEM.length + 1)).isTrue();
        c.finish(r, concat(SYSTEM, tokens(2, 1)), SYSTEM.length + 1);
        assertThat(c.pin(SYSTEM, Duration.ofNanos(100_000)).reason()).isEqualTo(Reason.APPLIED);
      }
      ranks.get(0).deterministicShell().advanceTo(ranks.get(0).deterministicShell().now() + 150_000);
      ranks.get(1).deterministicShell().advanceTo(ranks.get(1).deterministicShell().now() + 50_000);
      step(group, ranks);
      for (HiCache c : ranks) assertThat(c.pins()).as("rank 1 is not past the deadline").hasSize(1);
      ranks.get(1).deterministicShell().advanceTo(ranks.get(1).deterministicShell().now() + 60_000);
      step(group, ranks);
      for (HiCache c : ranks) {
        assertThat(c.pins()).isEmpty();
        c.checkInvariants();
      }
    } finally {
      for (HiCache c : ranks) c.close();
    }
  }

  private static void step(StepRankGroup group, List<HiCache> ranks) {
    List<long[]> votes = new ArrayList<>();
    for (HiCache c : ranks) votes.add(c.pollGather());
    long[] reduced = group.reduceMin(votes);
    for (HiCache c : ranks) c.pollApply(reduced);
  }

  @Test void badArguments_areRefusedWithTheirName() {
    HiCacheConfig config = HiCacheConfig.builder().pageSize(PAGE).build();
    assertThatThrownBy(() -> HiCache.builder(config).pinnedShare(1.0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pinnedShare").hasMessageContaining("1.0");
    assertThatThrownBy(() -> HiCache.builder(config).pinnedShare(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    try (Rig rig = new Rig(WritePolicyKind.WRITE_THROUGH, 16, 40, 0.25, null)) {
      assertThatThrownBy(() -> rig.cache.pin(SYSTEM, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("time to live");
      assertThatThrownBy(() -> rig.cache.pin(null, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> rig.cache.enqueue(CacheControl.HINT_RID_BASE, SYSTEM))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }
  }
}
