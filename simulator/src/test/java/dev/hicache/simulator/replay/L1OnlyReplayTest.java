package dev.hicache.simulator.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.simulator.SharedData;
import dev.hicache.simulator.report.L1Report;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class L1OnlyReplayTest {
  static L1ReplayResult replayConversationTrace(long capacityTokens) throws IOException {
    try (MooncakeTraceReader r = MooncakeTraceReader.open(SharedData.conversationTrace())) {
      return new L1OnlyReplay(64, capacityTokens).replay(r);
    }
  }

  /** The page-level L1-only ideal token hit ratio (docs/behaviour.md#traces-and-reference-values). */
  @Test
  void conversationTrace_infiniteCapacity_givesTheReferenceIdealRatio() throws IOException {
    L1ReplayResult r = replayConversationTrace(L1OnlyReplay.INFINITE);
    assertThat(r.requests()).isEqualTo(12_031);
    assertThat(r.inputTokens()).isEqualTo(144_793_823L);
    assertThat(L1Report.ratio(r.tokenHitRatio())).isEqualTo("0.37359");
    assertThat(r.evictedPages()).isZero();
    assertThat(r.residentPages()).isEqualTo(r.insertedPages());
  }

  /** LRU at a 3,000,000-token L1 (docs/behaviour.md#traces-and-reference-values). */
  @Test
  void conversationTrace_threeMillionTokens_givesTheReferenceLruRatio() throws IOException {
    L1ReplayResult r = replayConversationTrace(3_000_000L);
    assertThat(L1Report.ratio(r.tokenHitRatio())).isEqualTo("0.14139");
    assertThat(r.residentPages()).isLessThanOrEqualTo(46_875);
    assertThat(r.evictedPages()).isPositive();
  }

  static TraceRecord rec(int inputLength, long... ids) {
    return new TraceRecord().set(0, inputLength, 1, ids, 1);
  }

  @Test
  void step_repeatedRequest_matchesAllButTheLastToken() {
    L1OnlyReplay replay = new L1OnlyReplay(64, L1OnlyReplay.INFINITE);
    replay.step(rec(1024, 1, 2));
    replay.step(rec(1024, 1, 2));
    L1ReplayResult r = replay.result(0);
    // floor((1024-1)/64) = 15 pages matched of the second request; the first has none.
    assertThat(r.cachedTokens()).isEqualTo(15 * 64);
    assertThat(r.insertedPages()).isEqualTo(16);
    replay.tree().checkInvariants();
  }

  @Test
  void step_sharedFirstBlock_matchesItsEightPages() {
    L1OnlyReplay replay = new L1OnlyReplay(64, L1OnlyReplay.INFINITE);
    replay.step(rec(1000, 1, 2));
    replay.step(rec(1000, 1, 3));
    assertThat(replay.result(0).cachedTokens()).isEqualTo(8 * 64);
  }

  @Test
  void step_fullCache_evictsTheLeastRecentlyUsedLeafNotThePath() {
    // Capacity 16 pages: A (8 pages), B (8 pages) fill it; touching A then adding C evicts B.
    L1OnlyReplay replay = new L1OnlyReplay(64, 16 * 64);
    replay.step(rec(512, 10));
    replay.step(rec(512, 20));
    replay.step(rec(640, 10, 11)); // matches 8 pages of A, inserts 2 more: evicts B (LRU)
    replay.step(rec(512, 20));     // B is gone
    replay.step(rec(640, 10, 11));
    L1ReplayResult r = replay.result(0);
    assertThat(r.cachedTokens()).isEqualTo(8 * 64 + 0 + 8 * 64);
    assertThat(r.residentPages()).isLessThanOrEqualTo(16);
    replay.tree().checkInvariants();
  }

  @Test
  void step_requestLargerThanTheCache_insertsTheLongestPrefixThatFits() {
    L1OnlyReplay replay = new L1OnlyReplay(64, 10 * 64);
    replay.step(rec(1024, 1, 2)); // 16 pages, capacity 10: only 10 inserted
    L1ReplayResult r = replay.result(0);
    assertThat(r.insertedPages()).isEqualTo(10);
    assertThat(r.truncatedInserts()).isEqualTo(1);
    replay.step(rec(1024, 1, 2)); // matches the 10 cached pages; nothing fits beyond them
    assertThat(replay.result(0).cachedTokens()).isEqualTo(10 * 64);
    replay.tree().checkInvariants();
  }

  /**
   * At infinite capacity the hit of a request is the longest page prefix (up to its match limit)
   * that an earlier request inserted: checked against a set of seen prefixes.
   */
  @Test
  void infiniteCapacity_matchesTheLongestSeenPrefix() {
    qt().withExamples(200).forAll(
            lists().of(lists().of(integers().between(0, 3)).ofSizeBetween(1, 5)).ofSizeBetween(1, 25),
            integers().between(1, 511))
        .checkAssert((requests, tail) -> {
          int pageSize = 64;
          L1OnlyReplay replay = new L1OnlyReplay(pageSize, L1OnlyReplay.INFINITE);
          Set<List<Long>> seen = new HashSet<>(); // page identity prefixes inserted so far
          long expectedCached = 0;
          for (List<Integer> blocks : requests) {
            // Chain block ids so that equal ids mean equal prefixes, as in a Mooncake trace.
            long[] ids = new long[blocks.size()];
            long h = 0;
            for (int i = 0; i < ids.length; i++) {
              h = h * 5 + blocks.get(i) + 1;
              ids[i] = h;
            }
            int length = (ids.length - 1) * 512 + tail;
            int n = length / pageSize;
            int m = (length - 1) / pageSize;
            List<List<Long>> prefixes = new ArrayList<>();
            List<Long> p = new ArrayList<>();
            for (int k = 0; k < n; k++) {
              p.add(ids[k / 8] * 8 + k % 8);
              prefixes.add(List.copyOf(p));
            }
            int hit = 0;
            while (hit < m && seen.contains(prefixes.get(hit))) hit++;
            expectedCached += (long) hit * pageSize;
            seen.addAll(prefixes);
            replay.step(new TraceRecord().set(0, length, 1, ids, 1));
          }
          assertThat(replay.result(0).cachedTokens()).isEqualTo(expectedCached);
          replay.tree().checkInvariants();
        });
  }

  @Test
  void finiteCapacity_neverHoldsMoreThanTheCapacity() {
    qt().withExamples(100).forAll(
            lists().of(lists().of(integers().between(0, 3)).ofSizeBetween(1, 6)).ofSizeBetween(1, 40),
            integers().between(1, 40))
        .checkAssert((requests, capPages) -> {
          L1OnlyReplay replay = new L1OnlyReplay(64, capPages * 64L);
          for (List<Integer> blocks : requests) {
            long[] ids = new long[blocks.size()];
            long h = 0;
            for (int i = 0; i < ids.length; i++) {
              h = h * 5 + blocks.get(i) + 1;
              ids[i] = h;
            }
            replay.step(new TraceRecord().set(0, ids.length * 512 - 3, 1, ids, 1));
            assertThat(replay.tree().devicePages()).isLessThanOrEqualTo(capPages);
            replay.tree().checkInvariants();
          }
        });
  }

  /** The compact tree keys (two identity tokens per page) replay exactly like the full 64-token pages. */
  @Test
  void conversationTrace_compactAndFullPageKeys_giveIdenticalReplays() throws IOException {
    Path trace = SharedData.conversationTrace();
    for (long cap : new long[] {3_000_000L, 10_000_000L, 500_000L}) {
      L1ReplayResult[] r = new L1ReplayResult[2];
      for (int i = 0; i < 2; i++) {
        try (MooncakeTraceReader reader = MooncakeTraceReader.open(trace)) {
          r[i] = new L1OnlyReplay(64, cap, dev.hicache.core.tree.EvictionPolicies.DEFAULT, 512, i == 0).replay(reader);
        }
      }
      assertThat(r[0].cachedTokens()).as("capacity %d", cap).isEqualTo(r[1].cachedTokens());
      assertThat(r[0].evictedPages()).isEqualTo(r[1].evictedPages());
      assertThat(r[0].nodes()).isEqualTo(r[1].nodes());
      assertThat(r[0].residentPages()).isEqualTo(r[1].residentPages());
    }
  }
}
