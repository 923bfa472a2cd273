package dev.hicache.core.events;

import dev.hicache.api.PageKey;

/**
 * What the controllers tell about single operations, for per-operation tracing (JFR events, see
 * {@link JfrEngineEvents}); aggregates go to the metrics sink. Called on the scheduler thread;
 * implementations must not block. Durations are in the engine clock's nanoseconds (virtual time
 * in a simulation).
 */
public interface EngineEvents {
  /**
   * A device⇄host copy completed: {@code direction} is {@code backup} (D→H) or {@code load_back}
   * (H→D); {@code operation} is the controller's id of the copy.
   */
  default void copy(String direction, long operation, int pages, long bytes, long durationNanos, boolean ok) {}

  /** A prefetch ended with {@code reason} (a terminal reason label). */
  default void prefetch(long rid, String reason, int requestedTokens, int hitTokens, int insertedTokens,
                        long durationNanos) {}

  /** {@code pages} pages left {@code tier} ({@code device} or {@code host}) by eviction. */
  default void eviction(String tier, int pages) {}

  /** A page read from {@code tier} did not verify; {@code key} may be null (host pages of a tree without keys). */
  default void checksumFailure(String tier, PageKey key) {}

  /** Nothing is traced. */
  EngineEvents NONE = new EngineEvents() {};
}
