package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import java.util.Arrays;

/**
 * The simulator's L3 models' index and entry numbering: page keys get entry numbers (reused LIFO
 * after removal), by which the owner keeps its own per-entry arrays (values, list links, leases),
 * growing them to {@link #entryCapacity()}. The index is an open-addressing table whose slot is two
 * adjacent longs (one cache-line fetch): the key's first digest word and entry + 1 (0 = empty), so
 * a miss never touches a key object; a replay asks millions of times
 * (docs/design.md#metadata-only-simulation). Linear probing, backward-shift deletion, no
 * tombstones; the table doubles before it is half full.
 */
final class PageKeyTable {
  private static final int INITIAL_SLOTS = 1024, INITIAL_ENTRIES = 256;
  private long[] table;
  private PageKey[] keys;
  private long[] words; // each entry's first digest word
  private int[] free; // a stack of removed entry numbers
  private int freeTop;
  private int entries; // entry numbers handed out so far (live + free)
  private int size;

  PageKeyTable() {
    clear();
  }

  /** Live entries. */
  int size() {
    return size;
  }

  /** Entry numbers are below this; the owner's per-entry arrays must be at least this long. */
  int entryCapacity() {
    return keys.length;
  }

  PageKey key(int e) {
    return keys[e];
  }

  /** Forgets every entry; the table and the entry capacity go back to their initial sizes. */
  void clear() {
    table = new long[2 * INITIAL_SLOTS];
    keys = new PageKey[INITIAL_ENTRIES];
    words = new long[INITIAL_ENTRIES];
    free = new int[INITIAL_ENTRIES];
    freeTop = entries = size = 0;
  }

  /** The entry holding {@code k}, or -1. */
  int find(PageKey k) {
    int mask = (table.length >> 1) - 1;
    long w = k.toInt64();
    for (int slot = home(w, mask); ; slot = (slot + 1) & mask) {
      int e = (int) table[2 * slot + 1];
      if (e == 0) return -1;
      if (table[2 * slot] == w && keys[e - 1].equals(k)) return e - 1;
    }
  }

  /** Adds {@code k} (not present) and returns its entry number: the last one removed, else a new one. */
  int add(PageKey k) {
    if ((size + 1) * 2L > table.length >> 1) grow();
    int e;
    if (freeTop > 0) {
      e = free[--freeTop];
    } else {
      if (entries == keys.length) {
        int n = keys.length * 2;
        keys = Arrays.copyOf(keys, n);
        words = Arrays.copyOf(words, n);
        free = Arrays.copyOf(free, n);
      }
      e = entries++;
    }
    keys[e] = k;
    words[e] = k.toInt64();
    place(e);
    size++;
    return e;
  }

  /** Removes entry {@code e} (live); its number is handed out again by the next {@link #add}. */
  void remove(int e) {
    int mask = (table.length >> 1) - 1;
    int slot = home(words[e], mask);
    while (table[2 * slot + 1] != e + 1) slot = (slot + 1) & mask;
    // Backward-shift deletion: later members of the probe run move up so no lookup stops early.
    int gap = slot;
    for (int j = (gap + 1) & mask; table[2 * j + 1] != 0; j = (j + 1) & mask) {
      int h = home(table[2 * j], mask);
      // Move j into the gap when its home is not in the cyclic range (gap, j].
      if (((j - h) & mask) >= ((j - gap) & mask)) {
        table[2 * gap] = table[2 * j];
        table[2 * gap + 1] = table[2 * j + 1];
        gap = j;
      }
    }
    table[2 * gap + 1] = 0;
    keys[e] = null;
    free[freeTop++] = e;
    size--;
  }

  private static int home(long word, int mask) {
    // A full 64-bit mix (murmur3's finalizer): keys made from small test digests differ only in
    // their top bytes. The home comes from the slot's own word, so moving and deleting slots never
    // reads a key object.
    long h = (word ^ (word >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return (int) (h ^ (h >>> 33)) & mask;
  }

  private void place(int e) {
    int mask = (table.length >> 1) - 1;
    int slot = home(words[e], mask);
    while (table[2 * slot + 1] != 0) slot = (slot + 1) & mask;
    table[2 * slot] = words[e];
    table[2 * slot + 1] = e + 1;
  }

  /** Twice the slots, every live entry placed again. */
  private void grow() {
    table = new long[2 * table.length];
    for (int e = 0; e < entries; e++) if (keys[e] != null) place(e);
  }
}
