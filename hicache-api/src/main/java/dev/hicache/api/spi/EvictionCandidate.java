package dev.hicache.api.spi;

/** What an eviction policy may look at on a radix-tree node (docs/behaviour.md#node-state). */
public interface EvictionCandidate {
  /** Last time (clock nanos) a match, insert or prefetch-insert traversed the node. */
  long lastAccessTime();

  long creationTime();

  long hitCount();

  int priority();

  /** A unique, increasing node id: the final tie-breaker, so orders are total and deterministic. */
  long id();
}
