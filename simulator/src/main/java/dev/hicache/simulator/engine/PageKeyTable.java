package dev.hicache.simulator.engine;

import dev.hicache.api.PageKey;

/**
 * The simulator's L3 models' index: an open-addressing table from a page key to its entry number
 * in the model's own arrays. One slot is two adjacent longs (one cache-line fetch): the key's
 * first digest word and entry + 1 (0 = empty), so a miss never touches a key object; a replay asks
 * millions of times (docs/benchmarks.md). Linear probing, backward-shift deletion, no tombstones.
 * The owner keeps the keys ({@code keys[e]}) and grows the table before it is half full.
 */
final class PageKeyTable {
  private static final int INITIAL_SLOTS = 1024;
  private long[] table = new long[2 * INITIAL_SLOTS];

  /** Slots in the table. */
  int slots() {
    return table.length >> 1;
  }

  /** Whether one more entry would fill the table past half: then {@link #rebuild} it twice as large. */
  boolean fullFor(long entries) {
    return (entries + 1) * 2L > slots();
  }

  /** Empties the table and makes it {@code slots} slots (a power of two); the owner places its entries again. */
  void rebuild(int slots) {
    table = new long[2 * slots];
  }

  /** Empties the table at its initial size. */
  void clear() {
    rebuild(INITIAL_SLOTS);
  }

  private static int home(long word, int mask) {
    // A full 64-bit mix (murmur3's finalizer): keys made from small test digests differ only in
    // their top bytes. The home comes from the slot's own word, so moving and deleting slots never
    // reads a key object.
    long h = (word ^ (word >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return (int) (h ^ (h >>> 33)) & mask;
  }

  /** The entry holding {@code k} ({@code keys[e].equals(k)}), or -1. */
  int find(PageKey k, PageKey[] keys) {
    int mask = slots() - 1;
    long w = k.toInt64();
    for (int slot = home(w, mask); ; slot = (slot + 1) & mask) {
      int e = (int) table[2 * slot + 1];
      if (e == 0) return -1;
      if (table[2 * slot] == w && keys[e - 1].equals(k)) return e - 1;
    }
  }

  /** Adds entry {@code e} whose key's first digest word is {@code word} (not present yet). */
  void place(long word, int e) {
    int mask = slots() - 1;
    int slot = home(word, mask);
    while (table[2 * slot + 1] != 0) slot = (slot + 1) & mask;
    table[2 * slot] = word;
    table[2 * slot + 1] = e + 1;
  }

  /** Removes entry {@code e} (present, first digest word {@code word}). */
  void remove(long word, int e) {
    int mask = slots() - 1;
    int slot = home(word, mask);
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
  }
}
