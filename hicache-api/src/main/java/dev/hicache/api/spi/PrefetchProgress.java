package dev.hicache.api.spi;

/** What a {@link PrefetchPolicy} sees of one prefetch (docs/behaviour.md#prefetch-policies). */
public interface PrefetchProgress {
  /** When the prefetch was created (clock nanos). */
  long startNanos();

  /** Page-aligned tokens asked for. */
  int requestedTokens();

  /** Tokens L3 holds as a continuous run, or -1 while the existence query is still running. */
  int hitTokens();

  /** Tokens that have arrived in host memory. */
  int completedTokens();

  /** SGLang's {@code completed}: the hit is known, non-zero, and has fully arrived. */
  default boolean complete() {
    return hitTokens() > 0 && completedTokens() == hitTokens();
  }
}
