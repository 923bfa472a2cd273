package dev.hicache.simulator.l3;

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
 * blocks in use, FAST'25 paper, section 3.2.1; a read refreshes a page). In a metadata-only
 * simulation pages are small stubs, so this holds millions of them cheaply. It passes the L3 TCK
 * (MemoryL3StoreTckTest). Thread-safe (one lock).
 *
 * <p>Layout: a replay asks it millions of times, and a {@code LinkedHashMap} of that size spends
 * its time in cache misses (node, key, entry links: docs/design.md#metadata-only-simulation). Here
 * an open-addressing table of entry numbers with each key's first digest word next to it (a miss
 * never touches the key object), and the LRU order as two int arrays over entry numbers.
 */
public final class MemoryL3Store implements L3Store {
  private static final int NONE = -1;
  private final long capacityPages;
  private final PageKeyTable table = new PageKeyTable();
  // Entries, by the table's entry number: stored parts, LRU links (head = least recently used).
  private byte[][][] values = new byte[256][][];
  private int[] prev = new int[256];
  private int[] next = new int[256];
  private int head = NONE, tail = NONE;
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
    while (n < keys.size() && table.find(keys.get(n)) >= 0) n++;
    return n;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    open();
    L3Store.checkPageBatch(keys, targets);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < ok.length; i++) {
      int e = table.find(keys.get(i));
      if (e < 0) continue;
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
      if (table.find(k) < 0) {
        MemorySegment[] s = sources.get(i);
        byte[][] parts = new byte[s.length][];
        for (int p = 0; p < s.length; p++) parts[p] = s[p].toArray(ValueLayout.JAVA_BYTE);
        insert(k, parts);
        if (table.size() > capacityPages) {
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
    int e = table.find(key);
    if (e < 0) return false;
    removeEntry(e);
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
    return table.size();
  }

  /** Pages dropped to make room. */
  public synchronized long evictions() {
    return evictions;
  }

  /** For tests: the least recently used first. */
  synchronized Map<PageKey, byte[][]> snapshot() {
    LinkedHashMap<PageKey, byte[][]> out = new LinkedHashMap<>();
    for (int e = head; e != NONE; e = next[e]) out.put(table.key(e), values[e]);
    return out;
  }

  private void reset() {
    table.clear();
    values = new byte[256][][];
    prev = new int[256];
    next = new int[256];
    head = tail = NONE;
  }

  // --- entries ---

  private void insert(PageKey k, byte[][] parts) {
    int e = table.add(k);
    if (values.length < table.entryCapacity()) {
      int n = table.entryCapacity();
      values = Arrays.copyOf(values, n);
      prev = Arrays.copyOf(prev, n);
      next = Arrays.copyOf(next, n);
    }
    values[e] = parts;
    linkLast(e);
  }

  private void removeEntry(int e) {
    table.remove(e);
    unlink(e);
    values[e] = null;
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
