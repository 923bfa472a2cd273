package dev.hicache.api.spi;

import java.util.Comparator;

/**
 * Which node leaves a tier first, {@code --radix-eviction-policy}
 * (docs/behaviour.md#eviction-policies): the smallest candidate in {@link #order()} is evicted
 * first.
 *
 * <p>The tree keeps its evictable leaves in this order incrementally and re-positions a node when
 * its fields change, so the order must depend only on the {@link EvictionCandidate} fields and
 * must be total (end with {@link EvictionCandidate#id()}).
 */
public interface EvictionPolicy {
  /** The flag value: lru, lfu, fifo, mru, filo, priority, slru, or a user's own name. */
  String flagName();

  Comparator<EvictionCandidate> order();
}
