package dev.hicache.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Processor sharing on one link: closed-form cases, then generated transfers against a reference
 * simulator written independently (times in doubles, no rounding, no projection), and the
 * invariants any processor-sharing link keeps.
 */
class SharedLinkTest {
  /** The engine's property-test seed (CacheControllerPropertyTest's). */
  private static final long SEED = Long.getLong("hicache.property.seed", 20261125L);

  private static final double GB = 1e9;
  private static final long MB = 1_000_000;
  private static final long MS = 1_000_000;

  /** Advances completion by completion until nothing is in flight. */
  private static void finishAll(SharedLink link) {
    for (long t = link.nextCompletionNanos(); t != Long.MAX_VALUE; t = link.nextCompletionNanos()) link.advanceTo(t);
  }

  @Test void alone_takesBytesOverBandwidth_plusLatency() {
    SharedLink link = new SharedLink("l", 1 * GB);
    SharedLink.Transfer a = link.start(5 * MS, 10_000, MB);
    assertThat(a.finishNanos()).isEqualTo(5 * MS + 10_000 + MS);
    finishAll(link);
    assertThat(a.finishedAtNanos()).isEqualTo(5 * MS + 10_000 + MS);
  }

  @Test void twoEqualTransfers_startedTogether_bothFinishAtTwiceTheSoloTime() {
    SharedLink link = new SharedLink("l", 1 * GB);
    SharedLink.Transfer a = link.start(0, 0, MB);
    SharedLink.Transfer b = link.start(0, 0, MB);
    assertThat(a.finishNanos()).isEqualTo(2 * MS);
    assertThat(b.finishNanos()).isEqualTo(2 * MS);
    link.advanceTo(2 * MS - 1);
    assertThat(a.done()).isFalse();
    link.advanceTo(2 * MS);
    assertThat(a.finishedAtNanos()).isEqualTo(2 * MS);
    assertThat(b.finishedAtNanos()).isEqualTo(2 * MS);
  }

  @Test void oneJoinsHalfway_theFirstIsRetimed() {
    SharedLink link = new SharedLink("l", 1 * GB);
    SharedLink.Transfer a = link.start(0, 0, MB);
    assertThat(a.finishNanos()).isEqualTo(MS); // alone so far
    SharedLink.Transfer b = link.start(MS / 2, 0, MB);
    // a: 0.5 MB left at 0.5 GB/s -> 1.5 ms; b: 0.5 MB by then, the rest alone -> 2 ms.
    assertThat(a.finishNanos()).isEqualTo(3 * MS / 2);
    assertThat(b.finishNanos()).isEqualTo(2 * MS);
    assertThat(link.nextCompletionNanos()).isEqualTo(3 * MS / 2);
    finishAll(link);
    assertThat(a.finishedAtNanos()).isEqualTo(3 * MS / 2);
    assertThat(b.finishedAtNanos()).isEqualTo(2 * MS);
  }

  @Test void latency_usesNoBandwidth_thenTheTransferJoins() {
    SharedLink link = new SharedLink("l", 1 * GB);
    SharedLink.Transfer a = link.start(0, 0, MB);
    SharedLink.Transfer b = link.start(0, MS / 2, MB); // joins at 0.5 ms: as if started then
    SharedLink.Transfer probe = link.start(0, 100_000, 0); // latency only
    assertThat(probe.finishNanos()).isEqualTo(100_000);
    assertThat(a.finishNanos()).isEqualTo(3 * MS / 2);
    assertThat(b.finishNanos()).isEqualTo(2 * MS);
    link.advanceTo(100_000);
    assertThat(probe.done()).isTrue();
    assertThat(a.done()).isFalse();
    finishAll(link);
    assertThat(a.finishedAtNanos()).isEqualTo(3 * MS / 2);
  }

  @Test void perTransferCap_aloneGetsItsOwnLink_manyShareTheHostSide() {
    SharedLink host = new SharedLink("host", 4 * GB, 1 * GB);
    SharedLink.Transfer one = host.start(0, 0, MB);
    SharedLink.Transfer two = host.start(0, 0, MB);
    assertThat(one.finishNanos()).isEqualTo(MS); // two at once: each still at its own 1 GB/s
    assertThat(two.finishNanos()).isEqualTo(MS);
    finishAll(host);
    List<SharedLink.Transfer> eight = new ArrayList<>();
    for (int i = 0; i < 8; i++) eight.add(host.start(host.now(), 0, MB));
    for (SharedLink.Transfer t : eight) assertThat(t.finishNanos()).isEqualTo(MS + 2 * MS); // 4 GB/s / 8
  }

  @Test void ties_equalTransfersFinishTogether_andRunsRepeatExactly() {
    long[] first = null;
    for (int run = 0; run < 2; run++) {
      SharedLink link = new SharedLink("l", 3 * GB);
      List<SharedLink.Transfer> ts = new ArrayList<>();
      for (int i = 0; i < 5; i++) ts.add(link.start(i * 1000L, 7_000, 777_777));
      ts.add(link.start(4000, 3_000, 777_777)); // joins at 7000 too, with the first
      finishAll(link);
      long[] f = ts.stream().mapToLong(SharedLink.Transfer::finishedAtNanos).toArray();
      assertThat(f[5]).isEqualTo(f[0]);
      if (first != null) assertThat(f).containsExactly(first);
      first = f;
    }
  }

  @Test void timeAtFraction_followsTheRateChanges() {
    SharedLink link = new SharedLink("l", 1 * GB);
    SharedLink.Transfer a = link.start(0, 0, MB, true);
    link.start(MS / 2, 0, MB);
    finishAll(link);
    assertThat(a.timeAtFraction(1, 2)).isEqualTo(MS / 2);
    assertThat(a.timeAtFraction(3, 4)).isEqualTo(MS); // 0.25 MB more at 0.5 GB/s
    assertThat(a.timeAtFraction(4, 4)).isEqualTo(3 * MS / 2);
    SharedLink solo = new SharedLink("s", 1 * GB);
    SharedLink.Transfer s = solo.start(0, 1000, MB, true);
    finishAll(solo);
    assertThat(s.timeAtFraction(1, 4)).isEqualTo(1000 + MS / 4); // join + (finish - join) / 4
  }

  @Test void actingBeforeTheLinksTime_isACausalityError() {
    SharedLink link = new SharedLink("host D->H", 1 * GB);
    link.advanceTo(10);
    assertThatThrownBy(() -> link.advanceTo(9)).hasMessageContaining("causality").hasMessageContaining("host D->H");
    assertThatThrownBy(() -> link.start(5, 0, 1)).hasMessageContaining("causality");
    assertThatThrownBy(() -> new SharedLink("x", 0)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- generated transfers against a reference ----

  /** One generated transfer: start (ns), latency (ns), bytes. */
  private record Spec(long start, long latency, long bytes) {}

  private static List<Spec> specs(List<Integer> raw) {
    List<Spec> out = new ArrayList<>();
    long t = 0;
    for (int i = 0; i + 2 < raw.size(); i += 3) {
      t += raw.get(i) % 3 == 0 ? 0 : raw.get(i) % 2_000_000; // often together, else up to 2 ms apart
      long latency = raw.get(i + 1) % 4 == 0 ? 0 : raw.get(i + 1) % 200_000;
      long bytes = raw.get(i + 2) % 5 == 0 ? 0 : 1 + raw.get(i + 2) % 4_000_000;
      out.add(new Spec(t, latency, bytes));
    }
    return out;
  }

  /** Processor sharing with caps, exact in doubles, one event at a time: completion time per transfer. */
  private static double[] reference(List<Spec> specs, double bandwidth, double cap) {
    int n = specs.size();
    double[] remaining = new double[n];
    double[] finish = new double[n];
    boolean[] in = new boolean[n];
    boolean[] done = new boolean[n];
    Arrays.fill(finish, -1);
    double t = 0;
    int left = n;
    while (left > 0) {
      int active = 0;
      for (int i = 0; i < n; i++) if (in[i] && !done[i]) active++;
      double rate = active == 0 ? 0 : Math.min(cap, bandwidth / active);
      double next = Double.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        if (!in[i] && !done[i]) next = Math.min(next, specs.get(i).start() + specs.get(i).latency());
        if (in[i] && !done[i]) next = Math.min(next, t + remaining[i] / rate * 1e9);
      }
      double dt = next - t;
      for (int i = 0; i < n; i++) if (in[i] && !done[i]) remaining[i] -= rate * dt / 1e9;
      t = next;
      for (int i = 0; i < n; i++) {
        if (in[i] && !done[i] && remaining[i] <= 1e-6 * Math.max(1, specs.get(i).bytes())) {
          done[i] = true;
          finish[i] = t;
          left--;
        }
      }
      for (int i = 0; i < n; i++) {
        if (!in[i] && !done[i] && specs.get(i).start() + specs.get(i).latency() <= t) {
          in[i] = true;
          remaining[i] = specs.get(i).bytes();
          if (remaining[i] == 0) {
            done[i] = true;
            finish[i] = t;
            left--;
          }
        }
      }
    }
    return finish;
  }

  @Test void generatedTransfers_matchTheReference_andKeepTheInvariants() {
    qt().withFixedSeed(SEED).withExamples(300).withShrinkCycles(100)
        .forAll(lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(3, 60), integers().between(0, 2))
        .checkAssert((raw, kind) -> {
          double bandwidth = 10 * GB;
          double cap = kind == 0 ? bandwidth : kind == 1 ? 4 * GB : 1 * GB;
          List<Spec> specs = specs(raw);
          SharedLink link = new SharedLink("gen", bandwidth, cap);
          List<SharedLink.Transfer> ts = new ArrayList<>();
          long[] projectedAtStart = new long[specs.size()];
          for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            // Users poll between starts: everything done by then must be marked done, at its time.
            link.advanceTo(s.start());
            for (SharedLink.Transfer t : ts) if (t.done()) assertThat(t.finishedAtNanos()).isLessThanOrEqualTo(s.start());
            ts.add(link.start(s.start(), s.latency(), s.bytes()));
            projectedAtStart[i] = ts.get(i).finishNanos();
          }
          long projectedEnd = link.nextCompletionNanos();
          boolean[] doneBefore = new boolean[ts.size()];
          for (int i = 0; i < ts.size(); i++) doneBefore[i] = ts.get(i).done();
          finishAll(link);
          double[] ref = reference(specs, bandwidth, cap);
          long lastFinish = 0;
          for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            SharedLink.Transfer t = ts.get(i);
            assertThat(t.done()).isTrue();
            lastFinish = Math.max(lastFinish, t.finishedAtNanos());
            // Matches the reference within the rounding of its events to whole nanoseconds.
            assertThat((double) t.finishedAtNanos()).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(2.0 * specs.size() + 2));
            // Never faster than alone on its own link.
            long solo = s.start() + s.latency() + SharedLink.nanosFor(s.bytes(), cap);
            assertThat(t.finishedAtNanos()).isGreaterThanOrEqualTo(solo);
            // Later starts only delay it: what was projected at its start is a lower bound.
            assertThat(t.finishedAtNanos()).isGreaterThanOrEqualTo(projectedAtStart[i]);
            // Order: joined no later with no more bytes -> finishes no later.
            for (int j = 0; j < specs.size(); j++) {
              Spec o = specs.get(j);
              if (s.start() + s.latency() <= o.start() + o.latency() && s.bytes() <= o.bytes()) {
                assertThat(t.finishedAtNanos()).isLessThanOrEqualTo(ts.get(j).finishedAtNanos());
              }
            }
          }
          // With no start after it, the projection of the next completion is exact.
          long firstUnfinishedAtEnd = Long.MAX_VALUE;
          for (int i = 0; i < ts.size(); i++) {
            if (!doneBefore[i]) firstUnfinishedAtEnd = Math.min(firstUnfinishedAtEnd, ts.get(i).finishedAtNanos());
          }
          if (firstUnfinishedAtEnd != Long.MAX_VALUE) assertThat(projectedEnd).isEqualTo(firstUnfinishedAtEnd);
          // Work-conserving: the bytes all moved, and while n transfers were active the link moved
          // min(bandwidth, n x cap) per second; for plain sharing the busy periods are exactly
          // those of one FIFO server fed the same work.
          long total = specs.stream().mapToLong(Spec::bytes).sum();
          assertThat(link.bytesMoved()).isCloseTo(total, org.assertj.core.data.Offset.offset(1.0 + total * 1e-9));
          if (kind == 0 && total > 0) {
            assertThat(lastFinish).isCloseTo(fifoBusyEnd(specs, bandwidth), org.assertj.core.data.Offset.offset(2L * specs.size() + 2));
            assertThat((double) link.busyNanos()).isCloseTo(total * 1e9 / bandwidth,
                org.assertj.core.data.Offset.offset(2.0 * specs.size() + 2));
          }
        });
  }

  /** When a single FIFO server at {@code bandwidth}, fed each transfer's bytes at its join, has done all the work. */
  private static long fifoBusyEnd(List<Spec> specs, double bandwidth) {
    List<Spec> byJoin = new ArrayList<>(specs);
    byJoin.sort((a, b) -> Long.compare(a.start() + a.latency(), b.start() + b.latency()));
    double free = 0;
    double end = 0;
    for (Spec s : byJoin) {
      double join = s.start() + s.latency();
      double begin = Math.max(free, join);
      free = begin + s.bytes() * 1e9 / bandwidth;
      end = Math.max(end, s.bytes() == 0 ? join : free);
    }
    return Math.round(end);
  }
}
