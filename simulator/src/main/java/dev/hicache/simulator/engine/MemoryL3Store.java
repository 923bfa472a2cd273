package dev.hicache.simulator.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's model of a shared L3 (a Mooncake-like pool): pages in memory under their keys,
 * at most {@code capacityPages}, evicted least recently used first (Mooncake evicts LRU and skips
 * blocks in use, FAST'25 §3.2.1; a read refreshes a page). In a metadata-only simulation pages
 * are small stubs, so this holds millions of them cheaply. It passes the L3 TCK
 * (MemoryL3StoreTckTest). Thread-safe (one lock).
 *
 * <p>Layout: a replay asks it millions of times, and a {@code LinkedHashMap} of that size spends
 * its time in cache misses (node, key, entry links: docs/benchmarks.md). Here an open-addressing
 * table of entry numbers with each key's first digest word next to it (a miss never touches the
 * key object), and the LRU order as two int arrays over entry numbers.
 */
public final class MemoryL3Store implements L3Store {
  private static final int NONE = -1;
  private final long capacityPages;
  // The hash table, one slot = two adjacent longs (one cache line fetch): the key's first digest
  // word, and entry + 1 (0 = empty).
  private long[] table = new long[2 * 1024];
  // Entries, by number: key, stored parts, LRU links (head = least recently used).
  private PageKey[] keys = new PageKey[256];
  private long[] words = new long[256]; // each key's first digest word
  private byte[][][] values = new byte[256][][];
  private int[] prev = new int[256];
  private int[] next = new int[256];
  private int head = NONE, tail = NONE;
  private int freeEntries = NONE; // a stack of free entry numbers, linked through next[]
  private int entries; // entry numbers handed out so far (live + free)
  private int size;
  private long evictions;
  private boolean closed;

  private void open() {
    if (closed) throw new IllegalStateException("the L3 model is closed");
  }

  public MemoryL3Store(long capacityPages) {
    if (capacityPages < 1) throw new IllegalArgumentException("--l3-capacity-tokens must hold at least one page");
    this.capacityPages = capacityPages;
  }

  @Override public String name() {
    return "memory";
  }

  @Override public Capabilities capabilities() {
    return new Capabilities(false, false, false);
  }

  @Override public synchronized int batchExists(List<PageKey> keys) {
    open();
    L3Store.checkBatch(keys, null);
    int n = 0;
    // Existence does not count as use (Mooncake's exists query does not extend a lease).
    while (n < keys.size() && find(keys.get(n)) >= 0) n++;
    return n;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    open();
    L3Store.checkPageBatch(keys, targets);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < ok.length; i++) {
      int slot = find(keys.get(i));
      if (slot < 0) continue;
      int e = entryAt(slot);
      byte[][] parts = values[e];
      MemorySegment[] t = targets.get(i);
      if (parts.length != t.length) continue;
      boolean sizes = true;
      for (int p = 0; p < parts.length; p++) sizes &= parts[p].length == t[p].byteSize();
      if (!sizes) continue;
      for (int p = 0; p < parts.length; p++) {
        MemorySegment.copy(parts[p], 0, t[p], ValueLayout.JAVA_BYTE, 0, parts[p].length);
      }
      unlink(e);
      linkLast(e); // a read refreshes the page
      ok[i] = true;
    }
    return ok;
  }

  @Override public synchronized boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    open();
    L3Store.checkPageBatch(keys, sources);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < ok.length; i++) {
      PageKey k = keys.get(i);
      if (find(k) < 0) {
        MemorySegment[] s = sources.get(i);
        byte[][] parts = new byte[s.length][];
        for (int p = 0; p < s.length; p++) parts[p] = s[p].toArray(ValueLayout.JAVA_BYTE);
        insert(k, parts);
        if (size > capacityPages) {
          removeEntry(head); // the least recently used
          evictions++;
        }
      }
      ok[i] = true;
    }
    return ok;
  }

  @Override public synchronized boolean remove(PageKey key) {
    open();
    L3Store.checkKey(key);
    int slot = find(key);
    if (slot < 0) return false;
    removeEntry(entryAt(slot));
    return true;
  }

  @Override public synchronized void clear() {
    open();
    reset();
  }

  @Override public synchronized void close() {
    closed = true;
    reset();
  }

  public synchronized long size() {
    return size;
  }

  /** Pages dropped to make room. */
  public synchronized long evictions() {
    return evictions;
  }

  /** For tests: the least recently used first. */
  synchronized Map<PageKey, byte[][]> snapshot() {
    LinkedHashMap<PageKey, byte[][]> out = new LinkedHashMap<>();
    for (int e = head; e != NONE; e = next[e]) out.put(keys[e], values[e]);
    return out;
  }

  private void reset() {
    table = new long[2 * 1024];
    keys = new PageKey[256];
    words = new long[256];
    values = new byte[256][][];
    prev = new int[256];
    next = new int[256];
    head = tail = freeEntries = NONE;
    entries = size = 0;
  }

  // --- the table ---

  private static int home(long word, int mask) {
    // A full 64-bit mix (murmur3's finalizer): keys made from small test digests differ only in
    // their top bytes. The home comes from the slot's own word, so moving and deleting slots never
    // reads a key object (those reads were cache misses, docs/benchmarks.md).
    long h = (word ^ (word >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return (int) (h ^ (h >>> 33)) & mask;
  }

  /** The slot holding {@code k}, or -1. */
  private int find(PageKey k) {
    int mask = (table.length >> 1) - 1;
    long w = k.toInt64();
    for (int slot = home(w, mask); ; slot = (slot + 1) & mask) {
      int e = (int) table[2 * slot + 1];
      if (e == 0) return -1;
      if (table[2 * slot] == w && keys[e - 1].equals(k)) return slot;
    }
  }

  private int entryAt(int slot) {
    return (int) table[2 * slot + 1] - 1;
  }

  private void insert(PageKey k, byte[][] parts) {
    if ((size + 1) * 2L > table.length >> 1) rehash(table.length);
    int e;
    if (freeEntries != NONE) {
      e = freeEntries;
      freeEntries = next[e];
    } else {
      if (entries == keys.length) growEntries();
      e = entries++;
    }
    keys[e] = k;
    words[e] = k.toInt64();
    values[e] = parts;
    place(e);
    linkLast(e);
    size++;
  }

  private void place(int e) {
    int mask = (table.length >> 1) - 1;
    int slot = home(words[e], mask);
    while (table[2 * slot + 1] != 0) slot = (slot + 1) & mask;
    table[2 * slot] = words[e];
    table[2 * slot + 1] = e + 1;
  }

  private void removeEntry(int e) {
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
    unlink(e);
    keys[e] = null;
    values[e] = null;
    next[e] = freeEntries;
    freeEntries = e;
    size--;
  }

  private void rehash(int slots) {
    table = new long[2 * slots];
    for (int e = head; e != NONE; e = next[e]) place(e);
  }

  private void growEntries() {
    int n = keys.length * 2;
    keys = Arrays.copyOf(keys, n);
    words = Arrays.copyOf(words, n);
    values = Arrays.copyOf(values, n);
    prev = Arrays.copyOf(prev, n);
    next = Arrays.copyOf(next, n);
  }

  // --- the LRU list ---

  private void linkLast(int e) {
    prev[e] = tail;
    next[e] = NONE;
    if (tail == NONE) head = e; else next[tail] = e;
    tail = e;
  }

  private void unlink(int e) {
    int p = prev[e], n = next[e];
    if (p == NONE) head = n; else next[p] = n;
    if (n == NONE) tail = p; else prev[n] = p;
  }
}
