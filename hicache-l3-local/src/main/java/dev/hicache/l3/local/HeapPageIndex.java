package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * The process-private index: an on-heap open-addressing table (linear probing, backward-shift
 * deletion, no tombstones) keyed by the page key's four digest words. No object per entry and no
 * allocation per lookup: the store of the simulator's main job asks it millions of times, and a
 * Chronicle Map query (segment lock, xxHash, a byte[] per key and value) cost most of that run.
 *
 * <p>One table slot is {@value #STRIDE} longs in one array, so a probe reads one or two cache
 * lines: the key's words, {@code (slot + 1) << 32 | generation} (0 = empty), the length and the
 * checksum. At most half full: it doubles (rehashes) beyond that. Thread-safe (one monitor): the
 * store's protocol around it (slot CAS, conditional removes) is the same as over the shared index.
 */
final class HeapPageIndex implements PageIndex {
  static final int STRIDE = 7;
  private static final int K0 = 0, K1 = 1, K2 = 2, K3 = 3, META = 4, LENGTH = 5, CHECKSUM = 6;
  static final int MIN_CAPACITY = 16;
  private static final int MAX_CAPACITY = 1 << 28; // STRIDE × 2^28 longs still fits one array
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private long[] table;
  private int mask; // capacity - 1 (capacity: table slots, a power of two)
  private int size;
  private boolean closed;
  // The key being looked up, as words (filled under the monitor: one buffer, no allocation).
  private final byte[] scratch = new byte[PageKey.BYTES];
  private long w0, w1, w2, w3;

  /** An index that holds {@code expectedEntries} without growing. */
  HeapPageIndex(long expectedEntries) {
    if (expectedEntries < 0) throw new IllegalArgumentException("expectedEntries must be >= 0, got " + expectedEntries);
    int capacity = MIN_CAPACITY;
    while ((long) capacity / 2 < expectedEntries) {
      if (capacity == MAX_CAPACITY) {
        throw new IllegalArgumentException("expectedEntries " + expectedEntries + " is more than a heap index holds ("
            + MAX_CAPACITY / 2 + ")");
      }
      capacity <<= 1;
    }
    allocate(capacity);
  }

  private void allocate(int capacity) {
    table = new long[STRIDE * capacity];
    mask = capacity - 1;
  }

  /** Table slots (a power of two); for tests. */
  synchronized int capacity() {
    return mask + 1;
  }

  private void words(PageKey key) {
    key.writeTo(scratch, 0);
    w0 = (long) LONG_BE.get(scratch, 0);
    w1 = (long) LONG_BE.get(scratch, 8);
    w2 = (long) LONG_BE.get(scratch, 16);
    w3 = (long) LONG_BE.get(scratch, 24);
  }

  /**
   * The home slot of a key. All four words are mixed in: SHA-256 digests are uniform in any word,
   * but keys made in tests from small numbers may differ in one word only.
   */
  static int home(long k0, long k1, long k2, long k3, int mask) {
    long h = k0 ^ Long.rotateLeft(k1, 17) ^ Long.rotateLeft(k2, 31) ^ Long.rotateLeft(k3, 47);
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return (int) (h ^ (h >>> 33)) & mask;
  }

  private int homeOf(int at) {
    return home(table[at + K0], table[at + K1], table[at + K2], table[at + K3], mask);
  }

  /** The table offset of the key in (w0..w3), or -1. */
  private int find() {
    long[] t = table;
    for (int i = home(w0, w1, w2, w3, mask); ; i = (i + 1) & mask) {
      int at = i * STRIDE;
      if (t[at + META] == 0) return -1;
      if (t[at + K0] == w0 && t[at + K1] == w1 && t[at + K2] == w2 && t[at + K3] == w3) return at;
    }
  }

  private void open() {
    if (closed) throw new IllegalStateException("the index is closed");
  }

  private Entry entryAt(int at) {
    long meta = table[at + META];
    return new Entry((int) (meta >>> 32) - 1, (int) meta, (int) table[at + LENGTH], table[at + CHECKSUM]);
  }

  @Override public synchronized Entry get(PageKey key) {
    open();
    words(key);
    int at = find();
    return at < 0 ? null : entryAt(at);
  }

  @Override public synchronized long locate(PageKey key) {
    open();
    words(key);
    int at = find();
    if (at < 0) return ABSENT;
    long meta = table[at + META];
    return PageIndex.pack((int) (meta >>> 32) - 1, (int) meta);
  }

  @Override public synchronized Entry putIfAbsent(PageKey key, Entry e) {
    open();
    if (e.slot() < 0 || e.slot() == Integer.MAX_VALUE) throw new IllegalArgumentException("slot " + e.slot() + " out of range");
    words(key);
    int at = find();
    if (at >= 0) return entryAt(at);
    if (size + 1 > (mask + 1) / 2) grow();
    int i = home(w0, w1, w2, w3, mask);
    while (table[i * STRIDE + META] != 0) i = (i + 1) & mask;
    at = i * STRIDE;
    table[at + K0] = w0;
    table[at + K1] = w1;
    table[at + K2] = w2;
    table[at + K3] = w3;
    table[at + META] = ((long) (e.slot() + 1) << 32) | (e.generation() & 0xFFFF_FFFFL);
    table[at + LENGTH] = e.length();
    table[at + CHECKSUM] = e.checksum();
    size++;
    return null;
  }

  @Override public synchronized boolean remove(PageKey key, Entry expected) {
    open();
    words(key);
    int at = find();
    if (at < 0 || !entryAt(at).equals(expected)) return false;
    delete(at / STRIDE);
    return true;
  }

  /** Empties table slot {@code i}, moving later members of its probe run up so no lookup stops early. */
  private void delete(int i) {
    long[] t = table;
    int gap = i;
    for (int j = (gap + 1) & mask; t[j * STRIDE + META] != 0; j = (j + 1) & mask) {
      int h = homeOf(j * STRIDE);
      // j may move into the gap unless its home lies in the cyclic range (gap, j].
      if (((j - h) & mask) >= ((j - gap) & mask)) {
        System.arraycopy(t, j * STRIDE, t, gap * STRIDE, STRIDE);
        gap = j;
      }
    }
    t[gap * STRIDE + META] = 0;
    size--;
  }

  private void grow() {
    int capacity = mask + 1;
    if (capacity == MAX_CAPACITY) throw new IllegalStateException("the heap index is full (" + size + " entries)");
    rehash(capacity << 1);
  }

  /** Moves every entry into a table of {@code capacity} slots. */
  synchronized void rehash(int capacity) {
    if (Integer.bitCount(capacity) != 1 || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || capacity / 2 < size) {
      throw new IllegalArgumentException("capacity " + capacity + " is not a power of two in [" + MIN_CAPACITY + ", "
          + MAX_CAPACITY + "] holding " + size + " entries at most half full");
    }
    long[] old = table;
    allocate(capacity);
    for (int at = 0; at < old.length; at += STRIDE) {
      if (old[at + META] == 0) continue;
      int i = home(old[at + K0], old[at + K1], old[at + K2], old[at + K3], mask);
      while (table[i * STRIDE + META] != 0) i = (i + 1) & mask;
      System.arraycopy(old, at, table, i * STRIDE, STRIDE);
    }
  }

  @Override public void forEachKey(Consumer<PageKey> visitor) {
    long[] snapshot;
    synchronized (this) {
      open();
      snapshot = table.clone();
    }
    byte[] b = new byte[PageKey.BYTES];
    for (int at = 0; at < snapshot.length; at += STRIDE) {
      if (snapshot[at + META] == 0) continue;
      for (int w = 0; w < 4; w++) LONG_BE.set(b, 8 * w, snapshot[at + w]);
      visitor.accept(PageKey.ofDigest(b));
    }
  }

  @Override public synchronized long size() {
    return size;
  }

  /**
   * Checks the table's invariants (for tests): the size matches the occupied slots, at most half
   * full, and every entry is reachable from its home without crossing an empty slot.
   */
  synchronized void checkInvariants() {
    int occupied = 0;
    for (int i = 0; i <= mask; i++) {
      int at = i * STRIDE;
      if (table[at + META] == 0) continue;
      occupied++;
      for (int j = homeOf(at); j != i; j = (j + 1) & mask) {
        if (table[j * STRIDE + META] == 0) {
          throw new AssertionError("entry at " + i + " is unreachable from its home: slot " + j + " is empty");
        }
      }
    }
    if (occupied != size) throw new AssertionError("size " + size + " but " + occupied + " slots occupied");
    if (size > (mask + 1) / 2) throw new AssertionError("size " + size + " over half of capacity " + (mask + 1));
  }

  @Override public synchronized void close() {
    closed = true;
    table = new long[0];
    mask = -1;
    size = 0;
  }
}
