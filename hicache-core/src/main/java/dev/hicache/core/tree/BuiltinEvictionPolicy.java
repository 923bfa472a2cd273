package dev.hicache.core.tree;

import dev.hicache.api.spi.EvictionCandidate;
import dev.hicache.api.spi.EvictionPolicy;
import java.util.Comparator;

/**
 * The strategies of {@code --radix-eviction-policy} (docs/behaviour.md#eviction-policies): the
 * smallest candidate leaves first. Every order ends with the node id so that it is total and
 * deterministic, which the tree's incrementally maintained eviction index needs.
 */
public enum BuiltinEvictionPolicy implements EvictionPolicy {
  /** Least recently used: {@code last_access_time}. The default. */
  LRU("lru", (a, b) -> {
    int c = Long.compare(a.lastAccessTime(), b.lastAccessTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /** Least frequently used: ({@code hit_count}, {@code last_access_time}). */
  LFU("lfu", (a, b) -> {
    int c = Long.compare(a.hitCount(), b.hitCount());
    if (c != 0) return c;
    c = Long.compare(a.lastAccessTime(), b.lastAccessTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /** First in, first out: {@code creation_time}. */
  FIFO("fifo", (a, b) -> {
    int c = Long.compare(a.creationTime(), b.creationTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /** Most recently used first: {@code -last_access_time}. */
  MRU("mru", (a, b) -> {
    int c = Long.compare(b.lastAccessTime(), a.lastAccessTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /** First in, last out: {@code -creation_time}. */
  FILO("filo", (a, b) -> {
    int c = Long.compare(b.creationTime(), a.creationTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /** Lowest priority first, then least recently used: ({@code priority}, {@code last_access_time}). */
  PRIORITY("priority", (a, b) -> {
    int c = Integer.compare(a.priority(), b.priority());
    if (c != 0) return c;
    c = Long.compare(a.lastAccessTime(), b.lastAccessTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  }),
  /**
   * Segmented LRU: nodes hit at least twice form the protected segment, which leaves only after the
   * probationary one; LRU within a segment.
   */
  SLRU("slru", (a, b) -> {
    int c = Integer.compare(a.hitCount() >= 2 ? 1 : 0, b.hitCount() >= 2 ? 1 : 0);
    if (c != 0) return c;
    c = Long.compare(a.lastAccessTime(), b.lastAccessTime());
    return c != 0 ? c : Long.compare(a.id(), b.id());
  });

  private final String flagName;
  private final Comparator<EvictionCandidate> order;

  BuiltinEvictionPolicy(String flagName, Comparator<EvictionCandidate> order) {
    this.flagName = flagName;
    this.order = order;
  }

  @Override public String flagName() { return flagName; }

  @Override public Comparator<EvictionCandidate> order() { return order; }
}
