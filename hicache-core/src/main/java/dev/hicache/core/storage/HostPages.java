package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.HostPool;

/**
 * Host (L2) pages as the {@link StorageController} sees them. The engine's cache controller
 * implements it over its host allocator; {@link TreeHostPages} is a stand-alone implementation for
 * drivers that run the storage controller beside a bare {@link dev.hicache.core.tree.HiRadixTree}.
 */
public interface HostPages {
  int capacityPages();

  int availablePages();

  /**
   * {@code n} host pages for a prefetch, evicting host-only leaves of the tree if needed; null when
   * they cannot be had. They belong to the prefetch until {@link #filled} or {@link #free}.
   */
  int[] alloc(int n);

  /**
   * {@link #alloc(int)} for a prefetch of the namespace seeded {@code namespace} (null: the default
   * one): with a per-namespace quota, that namespace's own host-only leaves are evicted first while
   * it is over it (docs/behaviour.md#namespaces). By default the same as {@link #alloc(int)}.
   */
  default int[] alloc(int n, PageKey namespace) {
    return alloc(n);
  }

  /** Returns prefetch-owned pages; called only after each page's last L3 IO has completed (else a read lands in a reused page). */
  void free(int[] pages);

  /**
   * The pages now hold verified bytes of these keys and are about to join the tree as host-only
   * nodes: from here on the tree owns them (and frees them through its own eviction).
   */
  void filled(int[] pages, PageKey[] keys);

  /** The host pool whose bytes move, or null in a metadata-only simulation. */
  HostPool pool();
}
