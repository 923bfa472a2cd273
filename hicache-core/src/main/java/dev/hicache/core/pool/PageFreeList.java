package dev.hicache.core.pool;

import java.util.BitSet;

/**
 * The free list of a paged pool (docs/behaviour.md#slot-allocation): page ids handed out
 * lowest-first from a stack, with double-alloc and double-free checks (SGLang's newer checks). Not
 * thread-safe: a pool guards it.
 */
final class PageFreeList {
  private final int pages;
  private final int[] stack;
  private int top;
  private final BitSet allocated;

  PageFreeList(int pages) {
    if (pages < 0) throw new IllegalArgumentException("pages must be >= 0, got " + pages);
    this.pages = pages;
    this.stack = new int[pages];
    for (int i = 0; i < pages; i++) stack[i] = pages - 1 - i; // pop order 0, 1, 2, ...
    this.top = pages;
    this.allocated = new BitSet(pages);
  }

  int capacity() { return pages; }

  int available() { return top; }

  /** {@code n} pages, or null when fewer are free (nothing is taken then). */
  int[] alloc(int n) {
    if (n < 0) throw new IllegalArgumentException("cannot allocate " + n + " pages");
    if (n > top) return null;
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int p = stack[--top];
      allocated.set(p);
      out[i] = p;
    }
    return out;
  }

  void free(int page) {
    if (page < 0 || page >= pages) throw new IllegalArgumentException("page " + page + " is outside 0.." + (pages - 1));
    if (!allocated.get(page)) throw new IllegalStateException("page " + page + " freed but not allocated (double free)");
    allocated.clear(page);
    stack[top++] = page;
  }

  boolean isAllocated(int page) { return allocated.get(page); }
}
