package dev.hicache.l1;

import java.util.ArrayDeque;
import java.util.BitSet;

/**
 * Hands out token slots a page at a time (docs/behaviour.md#slot-allocation): the free list starts
 * as every page in order, alloc takes from its head, free appends to its tail. Every returned run
 * of page-size slots is page-aligned and consecutive. Freeing a slot that is not allocated, or a
 * slot list that is not whole pages, throws and changes nothing.
 */
final class FifoPageAllocator {
  private final int pageSize;
  private final int pages;
  private final ArrayDeque<Integer> free;
  private final BitSet allocated;

  FifoPageAllocator(int pages, int pageSize) {
    this.pages = pages;
    this.pageSize = pageSize;
    this.free = new ArrayDeque<>(pages);
    this.allocated = new BitSet(pages);
    for (int p = 0; p < pages; p++) free.addLast(p);
  }

  int pageSize() {
    return pageSize;
  }

  synchronized int availableTokens() {
    return free.size() * pageSize;
  }

  synchronized int[] alloc(int tokens) {
    if (tokens < 0 || tokens % pageSize != 0) {
      throw new IllegalArgumentException("alloc(" + tokens + "): tokens must be a non-negative multiple of the page size "
          + pageSize);
    }
    int n = tokens / pageSize;
    if (n > free.size()) return null;
    int[] slots = new int[tokens];
    for (int i = 0; i < n; i++) {
      int p = free.pollFirst();
      allocated.set(p);
      for (int t = 0; t < pageSize; t++) slots[i * pageSize + t] = p * pageSize + t;
    }
    return slots;
  }

  synchronized void free(int[] slots) {
    int[] ps = pagesOf(slots, pageSize, pages * pageSize, "free");
    BitSet seen = new BitSet(pages);
    for (int p : ps) {
      if (!allocated.get(p)) throw new IllegalArgumentException("free: page " + p + " (slot " + p * pageSize
          + ") is not allocated");
      if (seen.get(p)) throw new IllegalArgumentException("free: page " + p + " appears twice");
      seen.set(p);
    }
    for (int p : ps) {
      allocated.clear(p);
      free.addLast(p);
    }
  }

  synchronized boolean isAllocated(int page) {
    return allocated.get(page);
  }

  /**
   * The page numbers of a slot list made of whole pages (each run of page-size slots page-aligned
   * and consecutive), or an IllegalArgumentException naming the first slot that breaks the rule.
   */
  static int[] pagesOf(int[] slots, int pageSize, int capacityTokens, String what) {
    if (slots == null) throw new IllegalArgumentException(what + ": slots are required");
    if (slots.length % pageSize != 0) {
      throw new IllegalArgumentException(what + ": " + slots.length + " slots is not a multiple of the page size "
          + pageSize);
    }
    int[] pages = new int[slots.length / pageSize];
    for (int i = 0; i < pages.length; i++) {
      int first = slots[i * pageSize];
      if (first < 0 || first >= capacityTokens || first % pageSize != 0) {
        throw new IllegalArgumentException(what + ": slot " + first + " at index " + i * pageSize
            + " is not the first slot of a page in 0.." + capacityTokens);
      }
      for (int t = 1; t < pageSize; t++) {
        if (slots[i * pageSize + t] != first + t) {
          throw new IllegalArgumentException(what + ": slots must come in whole pages; slot index " + (i * pageSize + t)
              + " is " + slots[i * pageSize + t] + ", expected " + (first + t));
        }
      }
      pages[i] = first / pageSize;
    }
    return pages;
  }
}
