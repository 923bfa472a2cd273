package dev.hicache.simulator.workload;

import java.util.SplittableRandom;

/**
 * A synthetic workload: Poisson arrivals at {@code rate} per second; each prompt is one of {@code
 * prefixes} shared prefixes, drawn with Zipf popularity (exponent {@code zipf}; prefix k has weight
 * 1/k^s), of {@code prefixLength} tokens, followed by {@code suffixLength} tokens unique to the
 * request. Deterministic for a seed.
 */
public final class SyntheticWorkload implements Workload {
  /**
   * Shared prefix 0 (the most popular) as an application's system prompt: OFF; TRACK, its
   * requests reported as group 1 of {@code system_prompt}; PIN, tracked and pinned by the
   * application each time a request carrying it is served ({@link #pinnedPrefix()}).
   */
  public enum SystemPrompt { OFF, TRACK, PIN }

  public record Params(long requests, double rate, int prefixes, double zipf, int prefixLength, int suffixLength,
      int outputLength, long seed, SystemPrompt systemPrompt) {
    /** No system prompt tracked or pinned. */
    public Params(long requests, double rate, int prefixes, double zipf, int prefixLength, int suffixLength,
        int outputLength, long seed) {
      this(requests, rate, prefixes, zipf, prefixLength, suffixLength, outputLength, seed, SystemPrompt.OFF);
    }

    public Params {
      if (systemPrompt == null) systemPrompt = SystemPrompt.OFF;
      if (systemPrompt != SystemPrompt.OFF && prefixLength < 1) {
        throw new IllegalArgumentException("--pin-system-prompt needs a shared prefix: --prefix-length must be >= 1,"
            + " got " + prefixLength);
      }
      if (requests < 1) throw new IllegalArgumentException("--requests must be >= 1, got " + requests);
      // Bounded so that arrival times (nanoseconds, summed) stay far from overflowing.
      if (!(rate >= 1e-3) || !(rate <= 1e9)) {
        throw new IllegalArgumentException("--request-rate must be between 0.001 and 1000000000 per second, got " + rate);
      }
      if (prefixes < 1) throw new IllegalArgumentException("--prefixes must be >= 1, got " + prefixes);
      if (!(zipf >= 0) || Double.isInfinite(zipf)) throw new IllegalArgumentException("--zipf must be >= 0, got " + zipf);
      if (prefixLength < 0 || suffixLength < 0 || prefixLength + suffixLength < 1) {
        throw new IllegalArgumentException("--prefix-length and --suffix-length must be >= 0 with at least one token,"
            + " got " + prefixLength + " and " + suffixLength);
      }
      if (outputLength < 0) throw new IllegalArgumentException("--output-length must be >= 0, got " + outputLength);
    }
  }

  private final Params p;
  private final SplittableRandom rnd;
  private final double[] cdf;
  private long sent;
  private long now;

  public SyntheticWorkload(Params p) {
    this.p = p;
    this.rnd = new SplittableRandom(p.seed());
    this.cdf = new double[p.prefixes()];
    double sum = 0;
    for (int k = 0; k < p.prefixes(); k++) {
      sum += 1 / Math.pow(k + 1, p.zipf());
      cdf[k] = sum;
    }
    for (int k = 0; k < cdf.length; k++) cdf[k] /= sum;
  }

  @Override public boolean next(Request r) {
    if (sent == p.requests()) return false;
    now += Math.round(-Math.log(1 - rnd.nextDouble()) / p.rate() * 1e9);
    int prefix = java.util.Arrays.binarySearch(cdf, rnd.nextDouble());
    prefix = prefix < 0 ? Math.min(cdf.length - 1, -prefix - 1) : prefix;
    int len = p.prefixLength() + p.suffixLength();
    int[] t = new int[len];
    for (int j = 0; j < p.prefixLength(); j++) t[j] = mix(prefix, j, 0);
    for (int j = 0; j < p.suffixLength(); j++) t[p.prefixLength() + j] = mix(sent, j, 1);
    r.arrivalNanos = now;
    r.tokens = t;
    r.outputTokens = p.outputLength();
    r.group = p.systemPrompt() != SystemPrompt.OFF && prefix == 0 ? 1 : 0;
    r.origin = sent;
    sent++;
    return true;
  }

  private int mix(long a, int j, int kind) {
    long z = p.seed() + a * 0x9E3779B97F4A7C15L + j * 0xBF58476D1CE4E5B9L + kind * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (int) Long.remainderUnsigned(z ^ (z >>> 31), 128_256);
  }

  /** The system prompt's requests are group 1 when it is tracked. */
  @Override public String groupName() {
    return p.systemPrompt() == SystemPrompt.OFF ? null : "system_prompt";
  }

  /** Shared prefix 0, when the application pins it. */
  @Override public int[] pinnedPrefix() {
    if (p.systemPrompt() != SystemPrompt.PIN) return null;
    int[] t = new int[p.prefixLength()];
    for (int j = 0; j < t.length; j++) t[j] = mix(0, j, 0);
    return t;
  }

  /** Arrivals come from the trace (or the generator) alone. */
  @Override public boolean openLoop() {
    return true;
  }

  @Override public String describe() {
    return String.format("synthetic: %d requests, Poisson %.2f/s, %d shared prefixes (Zipf %.2f) of %d tokens"
            + " + %d unique tokens, seed %d", p.requests(), p.rate(), p.prefixes(), p.zipf(), p.prefixLength(),
        p.suffixLength(), p.seed()) + switch (p.systemPrompt()) {
          case OFF -> "";
          case TRACK -> "; the most popular prefix is the system prompt (not pinned)";
          case PIN -> "; the most popular prefix is the system prompt, pinned";
        };
  }
}
