package dev.hicache.simulator.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Time to first token's distribution, kept as quantiles so that what a run hands to its report
 * does not grow with the run: over all requests, and over the requests grouped by the tier that
 * served most of their hit ({@code L1}, {@code L2}, {@code L3}; {@code miss} for those with none).
 * The quantiles use bench_multiturn's percentile ({@code sorted[int(q × n)]}), the one behind the
 * run's TTFT p50, p90 and p99, so a curve passes through those exact values.
 *
 * @param all every request
 * @param byTier the groups that have requests, in the order L1, L2, L3, miss
 */
public record TtftCdf(Curve all, List<Curve> byTier) {
  /** The levels q of every curve: 0, 0.01, ..., 0.99, then 0.991, ..., 0.999 and 1 (the tail in more detail). */
  private static final double[] LEVELS = makeLevels();

  /** The group names, by the tier index {@link #tierOf} returns. */
  public static final List<String> TIERS = List.of("L1", "L2", "L3", "miss");

  /**
   * One group's quantiles.
   *
   * @param nanos TTFT at each of {@link #levels()} (nanoseconds; ascending)
   */
  public record Curve(String name, long requests, long[] nanos) {
    public Curve {
      nanos = nanos.clone();
    }

    @Override public long[] nanos() {
      return nanos.clone();
    }
  }

  public TtftCdf {
    byTier = List.copyOf(byTier);
  }

  /** The levels q (ascending, from 0 to 1) that every curve's quantiles are taken at. */
  public static double[] levels() {
    return LEVELS.clone();
  }

  private static double[] makeLevels() {
    double[] q = new double[100 + 9 + 1];
    for (int i = 0; i < 100; i++) q[i] = i / 100.0;
    for (int i = 1; i <= 9; i++) q[99 + i] = (990 + i) / 1000.0;
    q[109] = 1.0;
    return q;
  }

  /**
   * Which tier served most of a request's hit: 0 = L1 (device), 1 = L2 (host), 2 = L3 (storage);
   * 3 = no hit. A tie goes to the faster tier.
   */
  public static byte tierOf(long deviceHit, long hostHit, long storageHit) {
    if (deviceHit + hostHit + storageHit == 0) return 3;
    if (deviceHit >= hostHit && deviceHit >= storageHit) return 0;
    return (byte) (hostHit >= storageHit ? 1 : 2);
  }

  /** The distribution of {@code ttft[0..n)}, grouped by {@code tier[i]} ({@link #tierOf}). */
  public static TtftCdf of(long[] ttft, byte[] tier, int n) {
    long[] sorted = Arrays.copyOf(ttft, n);
    Arrays.sort(sorted);
    List<Curve> groups = new ArrayList<>();
    for (int t = 0; t < TIERS.size(); t++) {
      int count = 0;
      for (int i = 0; i < n; i++) if (tier[i] == t) count++;
      if (count == 0) continue;
      long[] mine = new long[count];
      int k = 0;
      for (int i = 0; i < n; i++) if (tier[i] == t) mine[k++] = ttft[i];
      Arrays.sort(mine);
      groups.add(new Curve(TIERS.get(t), count, quantiles(mine)));
    }
    return new TtftCdf(new Curve("all", n, quantiles(sorted)), groups);
  }

  private static long[] quantiles(long[] sorted) {
    long[] out = new long[LEVELS.length];
    if (sorted.length == 0) return out;
    for (int i = 0; i < out.length; i++) out[i] = EngineReplay.percentile(sorted, LEVELS[i]);
    return out;
  }
}
