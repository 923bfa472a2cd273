package dev.hicache.simulator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.simulator.engine.EngineReplay;
import dev.hicache.simulator.engine.EngineResult;
import dev.hicache.simulator.engine.EngineResult.Interval;
import dev.hicache.simulator.engine.TtftCdf;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What a run collects for its report: a timeline whose columns add up to the run's totals (also
 * once a long run has merged its buckets), occupancy within the tiers' capacities, and a TTFT
 * distribution that passes through the run's percentiles.
 */
class ReportDataTest {
  private static EngineResult run(String... args) throws IOException {
    SimulateCommand c = new SimulateCommand();
    CommandLine cl = new CommandLine(c);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.parseArgs(args);
    c.spec = cl.getCommandSpec();
    return c.runOnce(false).engine();
  }

  private static long sum(List<Interval> timeline, java.util.function.ToLongFunction<Interval> column) {
    long s = 0;
    for (Interval b : timeline) s += column.applyAsLong(b);
    return s;
  }

  @Test void multiTurn_timelineAddsUpToTheTotals_occupancyWithinCapacity_cdfThroughThePercentiles()
      throws IOException {
    EngineResult e = run("--workload", "multiturn", "--num-clients", "32", "--num-rounds", "4", "--request-length",
        "1024", "--sub-question-input-length", "512", "--output-length", "64", "--request-rate", "1", "--instances",
        "2", "--l1-capacity-tokens", "16384", "--l2-capacity-tokens", "32768", "--l3-capacity-tokens", "1M");
    List<Interval> t = e.timeline();
    assertThat(t.size()).isGreaterThan(5); // 128 requests at 1/s: about two minutes of 10 s intervals
    assertThat(sum(t, Interval::promptTokens)).isEqualTo(e.hits().promptTokens());
    assertThat(sum(t, Interval::cachedTokens)).isEqualTo(e.hits().cachedTokens());
    assertThat(sum(t, Interval::l1HitTokens)).isEqualTo(e.hits().deviceTokens());
    assertThat(sum(t, Interval::l2HitTokens)).isEqualTo(e.hits().hostTokens());
    assertThat(sum(t, Interval::l3HitTokens)).isEqualTo(e.hits().storageTokens()).isPositive();
    assertThat(sum(t, Interval::samples)).isEqualTo(e.hits().requests());
    // Link bytes count as requests complete: the copies still in flight after the last one are not in it.
    assertThat(sum(t, Interval::d2hBytes)).isPositive().isLessThanOrEqualTo(e.links().deviceToHostBytes());
    for (int i = 0; i < t.size(); i++) {
      Interval b = t.get(i);
      assertThat(b.startSeconds()).isEqualTo(i * 10L);
      if (b.samples() == 0) continue;
      // Both instances together hold at most twice a tier's capacity; mid-run they hold something.
      assertThat(b.l1HeldSum() / b.samples()).isBetween(0L, 2 * 16384L);
      assertThat(b.l2HeldSum() / b.samples()).isBetween(0L, 2 * 32768L);
    }
    assertThat(t.get(t.size() / 2).l1HeldSum()).isPositive();
    // The shared L3 only grows here (1M tokens never fill): its mean occupancy never falls between
    // intervals, stays within its capacity, and ends at what the two instances wrote to it.
    long lastL3 = 0;
    for (Interval b : t) {
      if (b.samples() == 0) continue;
      long held = b.l3HeldSum() / b.samples();
      assertThat(held).isBetween(lastL3, 1_000_000L);
      lastL3 = held;
    }
    assertThat(lastL3).isPositive().isLessThanOrEqualTo(e.links().l3WritePages() * 64);

    TtftCdf cdf = e.ttft().cdf();
    long[] all = cdf.all().nanos();
    double[] q = TtftCdf.levels();
    assertThat(q[50]).isEqualTo(0.5);
    assertThat(q[90]).isEqualTo(0.9);
    assertThat(q[99]).isEqualTo(0.99);
    assertThat(all[50]).isEqualTo(e.ttft().p50());
    assertThat(all[90]).isEqualTo(e.ttft().p90());
    assertThat(all[99]).isEqualTo(e.ttft().p99());
    assertThat(cdf.all().requests()).isEqualTo(e.hits().requests());
    long grouped = 0;
    for (TtftCdf.Curve c : cdf.byTier()) grouped += c.requests();
    assertThat(grouped).isEqualTo(e.hits().requests());
    // The first turn of each conversation hits nothing.
    assertThat(cdf.byTier()).anySatisfy(c -> {
      assertThat(c.name()).isEqualTo("miss");
      assertThat(c.requests()).isGreaterThanOrEqualTo(32);
    });
  }

  /** A long run merges buckets pairwise: still at most MAX_TIMELINE_BUCKETS, evenly spaced, the same totals. */
  @Test void longRun_boundedTimeline_sameTotals() throws IOException {
    // 3,000 requests at 0.2 a second: about 15,000 s, 1,500 intervals of 10 s before merging.
    EngineResult e = run("--workload", "synthetic", "--requests", "3000", "--request-rate", "0.2", "--prefixes", "20",
        "--prefix-length", "256", "--suffix-length", "64", "--output-length", "4", "--instances", "1",
        "--l1-capacity-tokens", "4096", "--l2-capacity-tokens", "8192", "--l3-capacity-tokens", "0");
    List<Interval> t = e.timeline();
    assertThat(t.size()).isBetween(EngineReplay.MAX_TIMELINE_BUCKETS / 2, EngineReplay.MAX_TIMELINE_BUCKETS);
    long width = t.get(1).startSeconds() - t.get(0).startSeconds();
    assertThat(width).isEqualTo(20);
    for (int i = 0; i < t.size(); i++) assertThat(t.get(i).startSeconds()).isEqualTo(i * width);
    assertThat(sum(t, Interval::promptTokens)).isEqualTo(e.hits().promptTokens());
    assertThat(sum(t, Interval::l1HitTokens) + sum(t, Interval::l2HitTokens) + sum(t, Interval::l3HitTokens)).isEqualTo(e.hits().cachedTokens());
    assertThat(sum(t, Interval::samples)).isEqualTo(3000);
    assertThat(sum(t, Interval::l3HeldSum)).as("no L3, nothing held there").isZero();
    assertThat(e.ttft().cdf().all().requests()).isEqualTo(3000);
  }
}
