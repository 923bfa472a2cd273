package dev.hicache.simulator.replay;

/**
 * Device page ids for a replay without memory: a LIFO free stack over a fixed number of ids, or
 * an unbounded supply for an infinite capacity. Double frees are caught (they would mean the tree
 * handed back a page twice).
 */
final class PageIdAllocator {
  private final boolean bounded;
  private int[] free;
  private int top;
  private int next;
  private long[] inUse = new long[1024];

  PageIdAllocator(long capacityPages) {
    this.bounded = capacityPages >= 0;
    this.free = new int[bounded ? (int) capacityPages : 1024];
    if (bounded) {
      for (int i = 0; i < free.length; i++) free[i] = free.length - 1 - i;
      top = free.length;
    }
  }

  /** Writes {@code n} fresh ids into {@code out[from..from+n)}. */
  void allocate(int[] out, int from, int n) {
    for (int i = 0; i < n; i++) {
      int id;
      if (top > 0) {
        id = free[--top];
      } else if (!bounded) {
        id = next++;
      } else {
        throw new IllegalStateException("no free device page: the replay's accounting is broken");
      }
      mark(id, true);
      out[from + i] = id;
    }
  }

  void free(int[] pages, int from, int to) {
    for (int i = from; i < to; i++) {
      int id = pages[i];
      mark(id, false);
      if (top == free.length) free = java.util.Arrays.copyOf(free, free.length * 2);
      free[top++] = id;
    }
  }

  private void mark(int id, boolean used) {
    int w = id >>> 6;
    if (w >= inUse.length) inUse = java.util.Arrays.copyOf(inUse, Math.max(w + 1, inUse.length * 2));
    long bit = 1L << id;
    boolean was = (inUse[w] & bit) != 0;
    if (was == used) {
      throw new IllegalStateException("device page " + id + (used ? " allocated twice" : " freed twice"));
    }
    inUse[w] ^= bit;
  }
}
