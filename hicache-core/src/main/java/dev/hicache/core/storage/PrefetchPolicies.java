package dev.hicache.core.storage;

import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.spi.PrefetchPolicy;
import dev.hicache.api.spi.PrefetchProgress;

/**
 * The built-in values of {@code --hicache-storage-prefetch-policy}
 * (docs/behaviour.md#prefetch-policies). A user's own policy (for example a deadline from the
 * request's SLO) joins them in a cache's {@code PolicyRegistry}.
 *
 * <p>Built-ins, as SGLang's {@code can_terminate_prefetch} defines them:
 *
 * <ul>
 *   <li>{@code best_effort}: may always terminate; the request is admitted the first time the
 *       scheduler reaches it, with whatever has arrived.
 *   <li>{@code wait_complete}: may terminate only when every L3-hit page has arrived.
 *   <li>{@code timeout}: complete, or {@code now − start > base + per_ki_token × hit / 1024}
 *       (only {@code base} while the hit is unknown), capped at {@code prefetch_timeout_max}.
 * </ul>
 */
public final class PrefetchPolicies {
  private PrefetchPolicies() {}

  /** The policy that {@code --hicache-storage-prefetch-policy} selects, with the config's parameters. */
  public static PrefetchPolicy create(HiCacheConfig config) {
    return switch (config.prefetchPolicy()) {
      case BEST_EFFORT -> BestEffort.INSTANCE;
      case WAIT_COMPLETE -> WaitComplete.INSTANCE;
      case TIMEOUT -> Timeout.of(config);
    };
  }

  /** {@code best_effort}. */
  public enum BestEffort implements PrefetchPolicy {
    INSTANCE;

    @Override public String flagName() { return "best_effort"; }

    @Override public boolean canTerminate(PrefetchProgress progress, long nowNanos) { return true; }
  }

  /** {@code wait_complete}. */
  public enum WaitComplete implements PrefetchPolicy {
    INSTANCE;

    @Override public String flagName() { return "wait_complete"; }

    @Override public boolean canTerminate(PrefetchProgress progress, long nowNanos) { return progress.complete(); }
  }

  /**
   * {@code timeout}: {@code prefetch_timeout_base + prefetch_timeout_per_ki_token × hit_tokens /
   * 1024}, in nanoseconds, capped at {@code maxNanos} ({@link Long#MAX_VALUE}: no cap).
   */
  public record Timeout(long baseNanos, double perKiTokenNanos, long maxNanos) implements PrefetchPolicy {
    public Timeout {
      if (baseNanos < 0 || !(perKiTokenNanos >= 0) || maxNanos <= 0) {
        throw new IllegalArgumentException("timeout policy: base " + baseNanos + " ns and per-Ki-token "
            + perKiTokenNanos + " ns must be >= 0, max " + maxNanos + " ns > 0");
      }
    }

    public static Timeout of(HiCacheConfig c) {
      double max = c.prefetchTimeoutMaxSeconds();
      return new Timeout(Math.round(c.prefetchTimeoutBaseSeconds() * 1e9), c.prefetchTimeoutPerKiTokenSeconds() * 1e9,
          Double.isInfinite(max) || max * 1e9 >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.round(max * 1e9));
    }

    /** How long a prefetch with this progress may run; only the base while the hit is unknown. */
    public long timeoutNanos(PrefetchProgress p) {
      int hit = Math.max(0, p.hitTokens());
      double t = baseNanos + perKiTokenNanos * hit / 1024.0;
      return t >= maxNanos ? maxNanos : (long) Math.ceil(t);
    }

    /** The first instant at which the policy lets the prefetch go unfinished. */
    public long deadlineNanos(PrefetchProgress p) {
      long t = timeoutNanos(p);
      return t > Long.MAX_VALUE - p.startNanos() ? Long.MAX_VALUE : p.startNanos() + t;
    }

    @Override public String flagName() { return "timeout"; }

    @Override public boolean expires() { return true; }

    /** SGLang: complete, or {@code now − start > timeout} (strictly greater). */
    @Override public boolean canTerminate(PrefetchProgress p, long nowNanos) {
      return p.complete() || nowNanos - p.startNanos() > timeoutNanos(p);
    }
  }
}
