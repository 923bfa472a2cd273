package dev.hicache.l2.pool;

import java.util.BitSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Slot management for a paged pool (docs/behaviour.md#slot-allocation), a page at a time: {@code
 * alloc} takes the first free pages and {@code free} appends pages at the end of the free list, as
 * SGLang's free list does, so returned slots always form whole, consecutive pages.
 *
 * <p>Frees are checked before anything changes: a slot outside the pool, a run that is not a
 * whole page, or a page that is not allocated (a double free) is rejected with the slot named,
 * and the free list stays as it was.
 */
public final class FifoRingPageAllocator {
  private final int pageSize;
  private final int pages;
  private final int[] freeRing;
  private int head;
  private int freeCount;
  private final BitSet allocated;
  private final ReentrantLock lock = new ReentrantLock();

  public FifoRingPageAllocator(int capacityTokens, int pageSize) {
    if (pageSize < 1) throw new IllegalArgumentException("page size must be >= 1, got " + pageSize);
    if (capacityTokens < 0 || capacityTokens % pageSize != 0) {
      throw new IllegalArgumentException("capacity " + capacityTokens + " is not a whole number of " + pageSize + "-token pages");
    }
    this.pageSize = pageSize;
    this.pages = capacityTokens / pageSize;
    this.freeRing = new int[pages];
    for (int i = 0; i < pages; i++) freeRing[i] = i;
    this.freeCount = pages;
    this.allocated = new BitSet(pages);
  }

  public int pageSize() {
    return pageSize;
  }

  public int capacityTokens() {
    return pages * pageSize;
  }

  public int availableTokens() {
    lock.lock();
    try {
      return freeCount * pageSize;
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@code tokens} slots as whole pages, or null when fewer are free.
   *
   * @throws IllegalArgumentException when {@code tokens} is negative or not a page multiple
   */
  public int[] alloc(int tokens) {
    if (tokens < 0 || tokens % pageSize != 0) {
      throw new IllegalArgumentException("alloc(" + tokens + "): the host pool hands out whole pages of " + pageSize + " tokens");
    }
    int n = tokens / pageSize;
    lock.lock();
    try {
      if (n > freeCount) return null;
      int[] slots = new int[tokens];
      for (int i = 0; i < n; i++) {
        int page = freeRing[head];
        head = (head + 1) % Math.max(1, pages);
        allocated.set(page);
        int first = page * pageSize;
        for (int t = 0; t < pageSize; t++) slots[i * pageSize + t] = first + t;
      }
      freeCount -= n;
      return slots;
    } finally {
      lock.unlock();
    }
  }

  /** Returns whole pages; see the class comment for what is rejected. */
  public void free(int[] slots) {
    if (slots == null) throw new IllegalArgumentException("free(null)");
    if (slots.length % pageSize != 0) {
      throw new IllegalArgumentException("free of " + slots.length + " slots: the host pool takes back whole pages of " + pageSize);
    }
    int n = slots.length / pageSize;
    int[] pagesToFree = new int[n];
    lock.lock();
    try {
      BitSet seen = new BitSet(pages);
      for (int i = 0; i < n; i++) {
        int first = slots[i * pageSize];
        if (first < 0 || first >= capacityTokens()) {
          throw new IllegalArgumentException("slot " + first + " is not in this pool (slots 0.." + (capacityTokens() - 1) + ")");
        }
        if (first % pageSize != 0) {
          throw new IllegalArgumentException("slot " + first + " at index " + (i * pageSize) + " does not start a page of "
              + pageSize + " tokens; this pool hands out and takes back whole pages");
        }
        for (int t = 1; t < pageSize; t++) {
          if (slots[i * pageSize + t] != first + t) {
            throw new IllegalArgumentException("slots at index " + (i * pageSize) + ".." + ((i + 1) * pageSize - 1)
                + " are not the page starting at slot " + first + " (found " + slots[i * pageSize + t] + " at offset " + t + ")");
          }
        }
        int page = first / pageSize;
        if (!allocated.get(page) || seen.get(page)) {
          throw new IllegalArgumentException("double free: the page at slots " + first + ".." + (first + pageSize - 1)
              + " is not allocated");
        }
        seen.set(page);
        pagesToFree[i] = page;
      }
      for (int page : pagesToFree) {
        freeRing[(head + freeCount) % pages] = page;
        freeCount++;
        allocated.clear(page);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether the page that starts at {@code firstSlot} is allocated. */
  public boolean isAllocated(int firstSlot) {
    lock.lock();
    try {
      return firstSlot >= 0 && firstSlot < capacityTokens() && firstSlot % pageSize == 0 && allocated.get(firstSlot / pageSize);
    } finally {
      lock.unlock();
    }
  }
}
