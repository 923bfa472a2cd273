package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.HostPool;
import dev.hicache.core.tree.HiRadixTree;
import java.util.BitSet;

/**
 * {@link HostPages} over a page free list of its own (and optionally a {@link HostPool} whose bytes
 * move), evicting the tree's host-only leaves when it runs short. For drivers that run the storage
 * controller next to a bare {@link HiRadixTree} (tests, the simulator's adapter); inside the engine
 * the cache controller's own host allocator plays this part.
 *
 * <p>Tracks which pages the prefetch owns and which the tree owns, and fails loudly on a double
 * free or on freeing a page the tree still holds.
 */
public final class TreeHostPages implements HostPages {
  private final HiRadixTree tree;
  private final HostPool pool;
  private final int capacity;
  private final int[] stack;
  private int top;
  private final BitSet prefetchOwned;
  private final BitSet treeOwned;

  /** {@code pages} host pages without bytes (metadata only). */
  public TreeHostPages(HiRadixTree tree, int pages) {
    this(tree, null, pages);
  }

  /** Host pages backed by {@code pool} (its capacity in pages). */
  public TreeHostPages(HiRadixTree tree, HostPool pool) {
    this(tree, pool, pool.capacityTokens() / pool.shape().pageSize());
  }

  private TreeHostPages(HiRadixTree tree, HostPool pool, int pages) {
    if (pages < 1) throw new IllegalArgumentException("host pages must be >= 1, got " + pages);
    this.tree = tree;
    this.pool = pool;
    this.capacity = pages;
    this.stack = new int[pages];
    for (int i = 0; i < pages; i++) stack[i] = pages - 1 - i;
    this.top = pages;
    this.prefetchOwned = new BitSet(pages);
    this.treeOwned = new BitSet(pages);
  }

  @Override public int capacityPages() { return capacity; }

  @Override public int availablePages() { return top; }

  /** Pages the tree was given (by {@link #filled} or {@link #allocForTree}). */
  public int treeOwnedPages() { return treeOwned.cardinality(); }

  public int prefetchOwnedPages() { return prefetchOwned.cardinality(); }

  @Override public int[] alloc(int n) {
    int[] p = take(n);
    if (p == null) {
      tree.evictHost(n - top, this::freeFromTree);
      p = take(n);
    }
    if (p != null) for (int x : p) prefetchOwned.set(x);
    return p;
  }

  /** Pages for a node's host copy made outside the prefetch path (a driver's own D→H backups); the tree owns them. */
  public int[] allocForTree(int n) {
    int[] p = take(n);
    if (p == null) {
      tree.evictHost(n - top, this::freeFromTree);
      p = take(n);
    }
    if (p != null) for (int x : p) treeOwned.set(x);
    return p;
  }

  private int[] take(int n) {
    if (n < 0) throw new IllegalArgumentException("cannot allocate " + n + " pages");
    if (n > top) return null;
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = stack[--top];
    return out;
  }

  @Override public void free(int[] pages) {
    for (int p : pages) {
      if (!prefetchOwned.get(p)) throw new IllegalStateException("host page " + p + " freed but not owned by a prefetch");
      prefetchOwned.clear(p);
      stack[top++] = p;
    }
  }

  @Override public void filled(int[] pages, PageKey[] keys) {
    for (int p : pages) {
      if (!prefetchOwned.get(p)) throw new IllegalStateException("host page " + p + " filled but not owned by a prefetch");
      prefetchOwned.clear(p);
      treeOwned.set(p);
    }
  }

  /** The tree's eviction callback: pages of evicted host-only leaves. */
  public void freeFromTree(int[] pages) {
    for (int p : pages) {
      if (!treeOwned.get(p)) throw new IllegalStateException("host page " + p + " evicted by the tree but not owned by it");
      treeOwned.clear(p);
      stack[top++] = p;
    }
  }

  @Override public HostPool pool() { return pool; }

  /** Every page is free, prefetch-owned or tree-owned, exactly once; the tree's count matches. */
  public void checkInvariants() {
    if (prefetchOwned.intersects(treeOwned)) throw new IllegalStateException("a host page is owned by both the prefetch and the tree");
    int used = prefetchOwned.cardinality() + treeOwned.cardinality();
    if (used + top != capacity) {
      throw new IllegalStateException("host pages: " + used + " owned + " + top + " free != " + capacity);
    }
    if (treeOwned.cardinality() != tree.hostPages()) {
      throw new IllegalStateException("host pages owned by the tree " + treeOwned.cardinality() + " != tree.hostPages() " + tree.hostPages());
    }
  }
}
