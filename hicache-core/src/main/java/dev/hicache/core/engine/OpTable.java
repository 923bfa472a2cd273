package dev.hicache.core.engine;

/**
 * The controller's in-flight copy operations by id: an open-addressing table of primitive ids
 * (linear probing, backward-shift deletion), so that issuing and acknowledging a copy boxes no id
 * and allocates no map node. Single-threaded (the scheduler thread).
 */
final class OpTable {
  private long[] ids = new long[64];
  private Object[] ops = new Object[64]; // null = empty position
  private int size;

  int size() { return size; }

  /** The op filed under {@code id}, or null. */
  Object get(long id) {
    long[] k = ids;
    Object[] v = ops;
    int mask = k.length - 1;
    for (int i = slot(id, mask); v[i] != null; i = (i + 1) & mask) {
      if (k[i] == id) return v[i];
    }
    return null;
  }

  /** Files {@code op} under {@code id}, which must not be filed already. */
  void put(long id, Object op) {
    if (op == null) throw new IllegalArgumentException("op is null");
    if ((size + 1) * 2 > ids.length) grow();
    int mask = ids.length - 1;
    int i = slot(id, mask);
    while (ops[i] != null) {
      if (ids[i] == id) throw new IllegalStateException("op " + id + " is in flight already");
      i = (i + 1) & mask;
    }
    ids[i] = id;
    ops[i] = op;
    size++;
  }

  /** Removes the op filed under {@code id}; returns it, or null when none is. */
  Object remove(long id) {
    long[] k = ids;
    Object[] v = ops;
    int mask = k.length - 1;
    int i = slot(id, mask);
    while (v[i] != null && k[i] != id) i = (i + 1) & mask;
    Object gone = v[i];
    if (gone == null) return null;
    v[i] = null;
    size--;
    // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      if (v[j] == null) break;
      int home = slot(k[j], mask);
      boolean movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        k[i] = k[j];
        v[i] = v[j];
        v[j] = null;
        i = j;
      }
    }
    return gone;
  }

  private void grow() {
    long[] k = ids;
    Object[] v = ops;
    ids = new long[k.length * 2];
    ops = new Object[k.length * 2];
    int mask = ids.length - 1;
    for (int i = 0; i < k.length; i++) {
      if (v[i] == null) continue;
      int s = slot(k[i], mask);
      while (ops[s] != null) s = (s + 1) & mask;
      ids[s] = k[i];
      ops[s] = v[i];
    }
  }

  private static int slot(long id, int mask) {
    long x = id * 0x9E3779B97F4A7C15L;
    return (int) (x ^ (x >>> 32)) & mask;
  }
}
