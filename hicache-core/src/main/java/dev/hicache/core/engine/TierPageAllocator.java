package dev.hicache.core.engine;

import dev.hicache.api.spi.KvPool;
import dev.hicache.core.pool.SlotPages;

/**
 * Page-granular allocation as the controller sees it: over a real {@link KvPool} (slots converted
 * to page ids), or metadata only for the simulator, where no KV bytes exist.
 */
interface TierPageAllocator {
  int capacity();

  int available();

  /** {@code n} page ids, or null when fewer are free. */
  int[] alloc(int n);

  /** Returns {@code pages} to the pool: reads the array, keeps no reference to it (callers pass arrays they still own). */
  void free(int[] pages);

  static TierPageAllocator of(KvPool pool) {
    int ps = pool.shape().pageSize();
    return new TierPageAllocator() {
      @Override public int capacity() { return pool.capacityTokens() / ps; }
      @Override public int available() { return pool.availableTokens() / ps; }
      @Override public int[] alloc(int n) {
        int[] slots = pool.alloc(n * ps);
        return slots == null ? null : SlotPages.pages(slots, ps);
      }
      @Override public void free(int[] pages) { pool.free(SlotPages.slots(pages, ps)); }
    };
  }

  /** Page ids without memory behind them (simulation), with the same double-free checks. */
  static TierPageAllocator metadataOnly(int pages) {
    return new TierPageAllocator() {
      private final int[] stack = initStack(pages);
      private int top = pages;
      // One bit per page, set while allocated: plain words, not a BitSet, whose clear rescans for
      // the highest word in use on every call (the simulator frees millions of pages per run).
      private final long[] used = new long[(pages + 63) >>> 6];

      @Override public int capacity() { return pages; }
      @Override public int available() { return top; }
      @Override public int[] alloc(int n) {
        if (n > top) return null;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
          int p = stack[--top];
          out[i] = p;
          used[p >>> 6] |= 1L << p;
        }
        return out;
      }
      @Override public void free(int[] ps) {
        for (int p : ps) {
          if (p < 0 || p >= pages || (used[p >>> 6] & (1L << p)) == 0) {
            throw new IllegalStateException("page " + p + " freed but not allocated");
          }
          used[p >>> 6] &= ~(1L << p);
          stack[top++] = p;
        }
      }
    };
  }

  private static int[] initStack(int pages) {
    int[] s = new int[pages];
    for (int i = 0; i < pages; i++) s[i] = pages - 1 - i;
    return s;
  }
}
