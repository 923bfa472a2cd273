package dev.hicache.l3.local;

/**
 * Exact least-recently-used order over the slab's slots, for the process-private store's {@code
 * lru} eviction: links indexed by slot number, prev and next side by side in one int array (a slot
 * holds one page at a time, and in the private mode every committed slot is this process's), so no
 * object per page and O(1) per use. The store links a slot when its page is committed, moves it to the tail on each read or
 * re-write, and unlinks it when it frees the slot; whoever holds the monitor also changes the slot's
 * word (link and free happen under it), so a link never outlives its slot's allocation.
 */
final class SlotLru {
  private static final int NONE = -1, UNLINKED = -2;
  // prev and next of slot s side by side (links[2s], links[2s + 1]): unlinking a slot reads one
  // line, not one in each of two arrays (the slots a simulator touches are scattered over the slab).
  private final int[] links;
  private int head = NONE, tail = NONE, size;

  SlotLru(int slots) {
    links = new int[2 * slots];
    for (int s = 0; s < slots; s++) links[2 * s] = UNLINKED;
  }

  boolean linked(int slot) {
    return links[2 * slot] != UNLINKED;
  }

  /** Makes {@code slot} the most recently used, linking it if it was not. */
  void toTail(int slot) {
    if (linked(slot)) {
      if (slot == tail) return;
      unlink(slot);
    }
    links[2 * slot] = tail;
    links[2 * slot + 1] = NONE;
    if (tail == NONE) head = slot; else links[2 * tail + 1] = slot;
    tail = slot;
    size++;
  }

  /** Unlinks {@code slot} if it is linked. */
  void unlink(int slot) {
    if (!linked(slot)) return;
    int p = links[2 * slot], n = links[2 * slot + 1];
    if (p == NONE) head = n; else links[2 * p + 1] = n;
    if (n == NONE) tail = p; else links[2 * n] = p;
    links[2 * slot] = UNLINKED;
    size--;
  }

  /** The least recently used slot, or -1. */
  int coldest() {
    return head;
  }

  /** Writes up to {@code max} slots, least recently used first, into {@code out}; returns how many. */
  int coldest(int[] out, int max) {
    int n = 0;
    for (int s = head; s != NONE && n < max; s = links[2 * s + 1]) out[n++] = s;
    return n;
  }

  int size() {
    return size;
  }

  void clear() {
    for (int s = 0; s < links.length; s += 2) links[s] = UNLINKED;
    head = tail = NONE;
    size = 0;
  }
}
