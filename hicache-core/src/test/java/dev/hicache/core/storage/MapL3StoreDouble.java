package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Test double: an in-memory L3 store (pages as byte arrays in a map), honest about the L3Store contract. */
final class MapL3StoreDouble implements L3Store {
  private final ConcurrentHashMap<PageKey, byte[][]> pages = new ConcurrentHashMap<>();
  private volatile boolean closed;

  @Override public String name() { return "map-double"; }

  @Override public Capabilities capabilities() { return new Capabilities(false, false, false); }

  int size() { return pages.size(); }

  boolean contains(PageKey k) { return pages.containsKey(k); }

  /** The stored parts of a page (the store's own arrays: a test may damage them), or null. */
  byte[][] stored(PageKey k) { return pages.get(k); }

  @Override public int batchExists(List<PageKey> keys) {
    open();
    L3Store.checkBatch(keys, null);
    int n = 0;
    while (n < keys.size() && pages.containsKey(keys.get(n))) n++;
    return n;
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    open();
    L3Store.checkPageBatch(keys, targets);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      byte[][] p = pages.get(keys.get(i));
      MemorySegment[] t = targets.get(i);
      if (p == null || p.length != t.length) continue;
      boolean fits = true;
      for (int j = 0; j < p.length; j++) fits &= t[j].byteSize() == p[j].length;
      if (!fits) continue;
      for (int j = 0; j < p.length; j++) MemorySegment.copy(MemorySegment.ofArray(p[j]), 0, t[j], 0, p[j].length);
      ok[i] = true;
    }
    return ok;
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    open();
    L3Store.checkPageBatch(keys, sources);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      MemorySegment[] s = sources.get(i);
      byte[][] copy = new byte[s.length][];
      for (int j = 0; j < s.length; j++) copy[j] = s[j].toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
      pages.putIfAbsent(keys.get(i), copy);
      ok[i] = true;
    }
    return ok;
  }

  @Override public boolean remove(PageKey key) {
    open();
    L3Store.checkKey(key);
    return pages.remove(key) != null;
  }

  @Override public void clear() {
    open();
    pages.clear();
  }

  @Override public void close() { closed = true; }

  private void open() {
    if (closed) throw new IllegalStateException("store is closed");
  }
}
