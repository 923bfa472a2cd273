package dev.hicache.l3.local;

/**
 * Exact least-recently-used order over the slab's slots, for the process-private store's {@code
 * lru} eviction: two int arrays of links indexed by slot number (a slot holds one page at a time,
 * and in the private mode every committed slot is this process's), so no object per page and O(1)
 * per use. The store links a slot when its page is committed, moves it to the tail on each read or
 * re-write, and unlinks it when it frees the slot; whoever holds the monitor also changes the slot's
 * word (link and free happen under it), so a link never outlives its slot's allocation.
 */
final class SlotLru {
  private static final int NONE = -1, UNLINKED = -2;
  private final int[] prev, next;
  private int head = NONE, tail = NONE, size;

  SlotLru(int slots) {
    prev = new int[slots];
    next = new int[slots];
    java.util.Arrays.fill(prev, UNLINKED);
  }

  boolean linked(int slot) {
    return prev[slot] != UNLINKED;
  }

  /** Makes {@code slot} the most recently used, linking it if it was not. */
  void toTail(int slot) {
    if (linked(slot)) {
      if (slot == tail) return;
      unlink(slot);
    }
    prev[slot] = tail;
    next[slot] = NONE;
    if (tail == NONE) head = slot; else next[tail] = slot;
    tail = slot;
    size++;
  }

  /** Unlinks {@code slot} if it is linked. */
  void unlink(int slot) {
    if (!linked(slot)) return;
    int p = prev[slot], n = next[slot];
    if (p == NONE) head = n; else next[p] = n;
    if (n == NONE) tail = p; else prev[n] = p;
    prev[slot] = UNLINKED;
    size--;
  }

  /** The least recently used slot, or -1. */
  int coldest() {
    return head;
  }

  int size() {
    return size;
  }

  void clear() {
    java.util.Arrays.fill(prev, UNLINKED);
    head = tail = NONE;
    size = 0;
  }
}
