package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The process-private index: an on-heap open-addressing table (linear probing, backward-shift
 * deletion, no tombstones) keyed by the page key's four digest words. No object per entry and no
 * allocation per lookup: the store of the simulator's main job asks it millions of times, and a
 * Chronicle Map query (segment lock, xxHash, a byte[] per key and value) cost most of that run.
 *
 * <p>Layout, for the cache: the table is one long per position, {@code fingerprint << 28 | entry +
 * 1} (0 = empty), where the fingerprint is 36 bits of a hash of all four key words and also gives
 * the home position; the entries ({@value #STRIDE} longs each: the key's words, {@code slot + 1 <<
 * 32 | generation}, length, checksum) sit in a second array by entry number, numbers reused last
 * freed first. A lookup of an absent key reads only the table (8 bytes a position, 8 MiB for the
 * simulator's 468,750 pages: it stays in the last-level cache); a present key costs one entry
 * read more, and a deletion moves table words only. Per slot, the table word of the entry last
 * published for it, so an eviction that knows only the slot removes the entry without its key. At
 * most half full: the table doubles (rehashes, from the fingerprints alone) beyond that. Thread-safe (one monitor): the store's
 * protocol around it (slot CAS, conditional removes) is the same as over the shared index.
 */
final class HeapPageIndex implements PageIndex {
  static final int STRIDE = 7;
  private static final int K0 = 0, K1 = 1, K2 = 2, K3 = 3, META = 4, LENGTH = 5, CHECKSUM = 6;
  private static final int ENTRY_BITS = 28;
  private static final long ENTRY_MASK = (1L << ENTRY_BITS) - 1;
  /** The most entries (entry + 1 must fit its bits). */
  static final int MAX_ENTRIES = (1 << ENTRY_BITS) - 2;
  static final int MIN_CAPACITY = 16;
  private static final int MAX_CAPACITY = 1 << 29;
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private long[] table;
  private int mask; // table capacity - 1 (a power of two)
  private long[] entries; // STRIDE longs per entry number; META == 0: a free number
  private int highWater; // entry numbers handed out so far (live + free)
  private int[] free = new int[16]; // freed entry numbers, a stack
  private int freeTop;
  private int size;
  // The table word of the entry last published for each slot (0: none), so the store's LRU
  // eviction, which knows only the coldest slot, removes its entry without reading the key back
  // from the slot's header; and the word gives both the entry number and the home position, so the
  // entry's line and the table's line are fetched side by side instead of one after the other.
  private long[] wordBySlot;
  private boolean closed;
  // The key being looked up, as words (filled under the monitor).
  private long w0, w1, w2, w3, fingerprint;
  private long prefetched;

  /** An index that holds {@code expectedEntries} without growing. */
  HeapPageIndex(long expectedEntries) {
    if (expectedEntries < 0 || expectedEntries > MAX_ENTRIES) {
      throw new IllegalArgumentException("expectedEntries " + expectedEntries + " is not in [0, " + MAX_ENTRIES + "]");
    }
    int capacity = MIN_CAPACITY;
    while ((long) capacity / 2 < expectedEntries) capacity <<= 1;
    table = new long[capacity];
    mask = capacity - 1;
    entries = new long[STRIDE * (int) Math.max(MIN_CAPACITY, expectedEntries)];
    wordBySlot = new long[(int) Math.max(MIN_CAPACITY, expectedEntries)];
  }

  /** Table positions (a power of two); for tests. */
  synchronized int capacity() {
    return mask + 1;
  }

  /** 36 bits of a hash of all four words, never 0: SHA-256 digests are uniform in any word, test keys may differ in one. */
  static long fingerprint(long k0, long k1, long k2, long k3) {
    long h = k0 ^ Long.rotateLeft(k1, 17) ^ Long.rotateLeft(k2, 31) ^ Long.rotateLeft(k3, 47);
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    long f = h >>> ENTRY_BITS;
    return f == 0 ? 1 : f;
  }

  private void words(PageKey key) {
    w0 = key.word(0);
    w1 = key.word(1);
    w2 = key.word(2);
    w3 = key.word(3);
    fingerprint = fingerprint(w0, w1, w2, w3);
  }

  /**
   * Loads, for each key, the table word at its home position, and for each slot, its entry's
   * words, changing nothing. Called before a batch's lookups and evictions: these loads do not
   * depend on each other, so the processor overlaps their cache misses, which the batch's steps
   * would otherwise take one after another (a lookup of an absent key is one cold table line, an
   * eviction by slot three more; those misses were most of the store's time in the simulator's
   * replay: docs/design.md#metadata-only-simulation).
   */
  synchronized void prefetch(List<PageKey> keys, int[] slots, int slotCount) {
    long[] t = table, en = entries, bySlot = wordBySlot;
    long acc = 0;
    for (int k = 0; k < keys.size(); k++) {
      PageKey key = keys.get(k);
      acc += t[(int) fingerprint(key.word(0), key.word(1), key.word(2), key.word(3)) & mask];
    }
    for (int k = 0; k < slotCount; k++) {
      int s = slots[k];
      if (s < 0 || s >= bySlot.length) continue;
      long word = bySlot[s];
      if (word == 0) continue;
      acc += t[(int) (word >>> ENTRY_BITS) & mask] + en[entryOf(word) * STRIDE + META];
    }
    prefetched = acc; // a use, so the loads are not dropped
  }

  private static int entryOf(long word) {
    return (int) (word & ENTRY_MASK) - 1;
  }

  /** The table position of the key in (w0..w3), or -1. */
  private int find() {
    long[] t = table, en = entries;
    long f = fingerprint;
    for (int i = (int) f & mask; ; i = (i + 1) & mask) {
      long word = t[i];
      if (word == 0) return -1;
      if (word >>> ENTRY_BITS == f) {
        int at = entryOf(word) * STRIDE;
        if (en[at + K0] == w0 && en[at + K1] == w1 && en[at + K2] == w2 && en[at + K3] == w3) return i;
      }
    }
  }

  private void open() {
    if (closed) throw new IllegalStateException("the index is closed");
  }

  private Entry entryAt(int position) {
    int at = entryOf(table[position]) * STRIDE;
    long meta = entries[at + META];
    return new Entry((int) (meta >>> 32) - 1, (int) meta, (int) entries[at + LENGTH], entries[at + CHECKSUM]);
  }

  @Override public synchronized Entry get(PageKey key) {
    open();
    words(key);
    int i = find();
    return i < 0 ? null : entryAt(i);
  }

  @Override public synchronized long locate(PageKey key) {
    open();
    words(key);
    int i = find();
    if (i < 0) return ABSENT;
    long meta = entries[entryOf(table[i]) * STRIDE + META];
    return PageIndex.pack((int) (meta >>> 32) - 1, (int) meta);
  }

  @Override public synchronized Entry putIfAbsent(PageKey key, Entry e) {
    open();
    if (e.slot() < 0 || e.slot() == Integer.MAX_VALUE) throw new IllegalArgumentException("slot " + e.slot() + " out of range");
    words(key);
    int i = find();
    if (i >= 0) return entryAt(i);
    if (size == MAX_ENTRIES) throw new IllegalStateException("the heap index is full (" + size + " entries)");
    if (size + 1 > (mask + 1) / 2) rehash((mask + 1) << 1);
    int n = freeTop > 0 ? free[--freeTop] : newEntry();
    int at = n * STRIDE;
    long[] en = entries;
    en[at + K0] = w0;
    en[at + K1] = w1;
    en[at + K2] = w2;
    en[at + K3] = w3;
    en[at + META] = ((long) (e.slot() + 1) << 32) | (e.generation() & 0xFFFF_FFFFL);
    en[at + LENGTH] = e.length();
    en[at + CHECKSUM] = e.checksum();
    if (e.slot() >= wordBySlot.length) {
      wordBySlot = Arrays.copyOf(wordBySlot, (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) e.slot() + 1, 2L * wordBySlot.length)));
    }
    long word = (fingerprint << ENTRY_BITS) | (n + 1);
    wordBySlot[e.slot()] = word;
    for (i = (int) fingerprint & mask; table[i] != 0; i = (i + 1) & mask) {}
    table[i] = word;
    size++;
    return null;
  }

  private int newEntry() {
    if ((long) (highWater + 1) * STRIDE > entries.length) {
      entries = Arrays.copyOf(entries, (int) Math.min((long) entries.length * 2, (long) STRIDE * (MAX_ENTRIES + 1)));
    }
    return highWater++;
  }

  @Override public synchronized boolean remove(PageKey key, Entry expected) {
    open();
    words(key);
    int i = find();
    if (i < 0 || !entryAt(i).equals(expected)) return false;
    release(entryOf(table[i]));
    delete(i);
    return true;
  }

  @Override public synchronized boolean removeIfAt(PageKey key, int slot, int generation) {
    open();
    words(key);
    int i = find();
    if (i < 0) return false;
    int n = entryOf(table[i]);
    if (entries[n * STRIDE + META] != (((long) (slot + 1) << 32) | (generation & 0xFFFF_FFFFL))) return false;
    release(n);
    delete(i);
    return true;
  }

  /**
   * Removes the entry last published for {@code slot}, whatever its key, if it is still there at
   * {@code generation}; false if not. Nothing outside the index is read (not the slot's header).
   */
  synchronized boolean removeSlotIfAt(int slot, int generation) {
    open();
    if (slot < 0 || slot >= wordBySlot.length) return false;
    long word = wordBySlot[slot];
    if (word == 0) return false;
    int n = entryOf(word);
    if (entries[n * STRIDE + META] != (((long) (slot + 1) << 32) | (generation & 0xFFFF_FFFFL))) return false;
    long[] t = table;
    int i = (int) (word >>> ENTRY_BITS) & mask;
    while (t[i] != word) {
      if (t[i] == 0) throw new IllegalStateException("entry " + n + " of slot " + slot + " is not in the table");
      i = (i + 1) & mask;
    }
    release(n);
    delete(i);
    return true;
  }

  private void release(int n) {
    int slot = (int) (entries[n * STRIDE + META] >>> 32) - 1;
    if (slot >= 0 && slot < wordBySlot.length && entryOf(wordBySlot[slot]) == n) wordBySlot[slot] = 0;
    entries[n * STRIDE + META] = 0;
    if (freeTop == free.length) free = Arrays.copyOf(free, free.length * 2);
    free[freeTop++] = n;
  }

  /** Empties table position {@code i}, moving later members of its probe run up so no lookup stops early. */
  private void delete(int i) {
    long[] t = table;
    int gap = i;
    for (int j = (gap + 1) & mask; t[j] != 0; j = (j + 1) & mask) {
      int h = (int) (t[j] >>> ENTRY_BITS) & mask;
      // j may move into the gap unless its home lies in the cyclic range (gap, j].
      if (((j - h) & mask) >= ((j - gap) & mask)) {
        t[gap] = t[j];
        gap = j;
      }
    }
    t[gap] = 0;
    size--;
  }

  /** Moves every table word into a table of {@code capacity} positions (the fingerprints give the homes). */
  synchronized void rehash(int capacity) {
    if (Integer.bitCount(capacity) != 1 || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || capacity / 2 < size) {
      throw new IllegalArgumentException("capacity " + capacity + " is not a power of two in [" + MIN_CAPACITY + ", "
          + MAX_CAPACITY + "] holding " + size + " entries at most half full");
    }
    long[] old = table;
    table = new long[capacity];
    mask = capacity - 1;
    for (long word : old) {
      if (word == 0) continue;
      int i = (int) (word >>> ENTRY_BITS) & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = word;
    }
  }

  @Override public void forEachKey(Consumer<PageKey> visitor) {
    long[] snapshot;
    int n;
    synchronized (this) {
      open();
      n = highWater;
      snapshot = Arrays.copyOf(entries, n * STRIDE);
    }
    byte[] b = new byte[PageKey.BYTES];
    for (int at = 0; at < n * STRIDE; at += STRIDE) {
      if (snapshot[at + META] == 0) continue;
      for (int w = 0; w < 4; w++) LONG_BE.set(b, 8 * w, snapshot[at + w]);
      visitor.accept(PageKey.ofDigest(b));
    }
  }

  @Override public synchronized long size() {
    return size;
  }

  /**
   * Checks the invariants (for tests): the size matches the occupied positions and the live
   * entries, at most half full, every position reachable from its home without crossing an empty
   * one, each position names a distinct live entry whose key has the position's fingerprint, and
   * no free number is live.
   */
  synchronized void checkInvariants() {
    int occupied = 0;
    boolean[] named = new boolean[highWater];
    for (int i = 0; i <= mask; i++) {
      long word = table[i];
      if (word == 0) continue;
      occupied++;
      int n = entryOf(word);
      if (n < 0 || n >= highWater) throw new AssertionError("position " + i + " names entry " + n + " of " + highWater);
      if (named[n]) throw new AssertionError("entry " + n + " is named twice");
      named[n] = true;
      int at = n * STRIDE;
      if (entries[at + META] == 0) throw new AssertionError("position " + i + " names free entry " + n);
      if (fingerprint(entries[at], entries[at + 1], entries[at + 2], entries[at + 3]) != word >>> ENTRY_BITS) {
        throw new AssertionError("position " + i + " has another fingerprint than its entry's key");
      }
      for (int j = (int) (word >>> ENTRY_BITS) & mask; j != i; j = (j + 1) & mask) {
        if (table[j] == 0) throw new AssertionError("entry at " + i + " is unreachable from its home: position " + j + " is empty");
      }
    }
    int live = 0;
    for (int n = 0; n < highWater; n++) if (entries[n * STRIDE + META] != 0) live++;
    for (int k = 0; k < freeTop; k++) {
      if (entries[free[k] * STRIDE + META] != 0) throw new AssertionError("free entry " + free[k] + " is live");
    }
    for (int s = 0; s < wordBySlot.length; s++) {
      long word = wordBySlot[s];
      if (word == 0) continue;
      int n = entryOf(word);
      if (n < 0 || n >= highWater || entries[n * STRIDE + META] == 0) throw new AssertionError("slot " + s + " names free entry " + n);
      int at = n * STRIDE;
      if ((int) (entries[at + META] >>> 32) - 1 != s) throw new AssertionError("slot " + s + " names entry " + n + " of another slot");
      if (fingerprint(entries[at], entries[at + 1], entries[at + 2], entries[at + 3]) != word >>> ENTRY_BITS) {
        throw new AssertionError("slot " + s + " has another fingerprint than its entry's key");
      }
    }
    if (occupied != size || live != size) throw new AssertionError("size " + size + " but " + occupied + " positions, " + live + " live entries");
    if (live + freeTop != highWater) throw new AssertionError(live + " live + " + freeTop + " free != " + highWater + " numbers");
    if (size > (mask + 1) / 2) throw new AssertionError("size " + size + " over half of capacity " + (mask + 1));
  }

  @Override public synchronized void close() {
    closed = true;
    table = new long[0];
    entries = new long[0];
    wordBySlot = new long[0];
    mask = -1;
    size = highWater = freeTop = 0;
  }
}
