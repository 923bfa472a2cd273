package dev.hicache.api.spi;

/**
 * How long a request waits for its L3 prefetch, {@code --hicache-storage-prefetch-policy}
 * (docs/behaviour.md#prefetch-policies): best_effort, wait_complete, timeout, or a user's own (e.g.
 * a deadline from the request's SLO). Asked each time the scheduler considers the waiting request;
 * the ranks then vote.
 */
public interface PrefetchPolicy {
  String flagName();

  /** Whether this rank may stop the prefetch now and admit the request with what has arrived. */
  boolean canTerminate(PrefetchProgress progress, long nowNanos);

  /**
   * Whether this policy lets a prefetch go unfinished because its time ran out (timeout does): such
   * terminations are counted as timeouts, any other policy's as unfulfilled.
   */
  default boolean expires() { return false; }
}
