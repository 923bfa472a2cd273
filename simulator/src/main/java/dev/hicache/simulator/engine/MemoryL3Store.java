package dev.hicache.simulator.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's model of a shared L3 (a Mooncake-like pool): pages in memory under their keys,
 * at most {@code capacityPages}, evicted least recently used first (Mooncake evicts LRU and skips
 * blocks in use, FAST'25 §3.2.1; a read refreshes a page). In a metadata-only simulation pages
 * are small stubs, so this holds millions of them cheaply. It passes the L3 TCK
 * (MemoryL3StoreTckTest). Thread-safe (one lock).
 */
public final class MemoryL3Store implements L3Store {
  private final long capacityPages;
  private final LinkedHashMap<PageKey, byte[][]> pages = new LinkedHashMap<>(1024, 0.75f, true);
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
    while (n < keys.size() && pages.containsKey(keys.get(n))) n++;
    return n;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    open();
    L3Store.checkPageBatch(keys, targets);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < ok.length; i++) {
      byte[][] parts = pages.get(keys.get(i));
      MemorySegment[] t = targets.get(i);
      if (parts == null || parts.length != t.length) continue;
      boolean sizes = true;
      for (int p = 0; p < parts.length; p++) sizes &= parts[p].length == t[p].byteSize();
      if (!sizes) continue;
      for (int p = 0; p < parts.length; p++) {
        MemorySegment.copy(parts[p], 0, t[p], ValueLayout.JAVA_BYTE, 0, parts[p].length);
      }
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
      if (!pages.containsKey(k)) {
        MemorySegment[] s = sources.get(i);
        byte[][] parts = new byte[s.length][];
        for (int p = 0; p < s.length; p++) parts[p] = s[p].toArray(ValueLayout.JAVA_BYTE);
        pages.put(k, parts);
        if (pages.size() > capacityPages) {
          pages.pollFirstEntry(); // the least recently used (LinkedHashMap is a SequencedMap)
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
    return pages.remove(key) != null;
  }

  @Override public synchronized void clear() {
    open();
    pages.clear();
  }

  @Override public synchronized void close() {
    closed = true;
    pages.clear();
  }

  public synchronized long size() {
    return pages.size();
  }

  /** Pages dropped to make room. */
  public synchronized long evictions() {
    return evictions;
  }

  /** For tests: the least recently used first. */
  synchronized Map<PageKey, byte[][]> snapshot() {
    return new LinkedHashMap<>(pages);
  }
}
