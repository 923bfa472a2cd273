package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test double of an L3 store: pages as byte arrays in a map, counting calls. Thread-safe. */
public final class InMemoryL3StoreDouble implements L3Store {
  private final Map<PageKey, byte[][]> pages = new HashMap<>();
  long sets;
  long gets;

  @Override public String name() { return "in-memory-double"; }

  @Override public Capabilities capabilities() { return new Capabilities(false, false, false); }

  @Override public synchronized int batchExists(List<PageKey> keys) {
    L3Store.checkBatch(keys, null);
    int n = 0;
    while (n < keys.size() && pages.containsKey(keys.get(n))) n++;
    return n;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkBatch(keys, targets);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      byte[][] parts = pages.get(keys.get(i));
      MemorySegment[] t = targets.get(i);
      if (parts == null || parts.length != t.length) continue;
      boolean sizes = true;
      for (int j = 0; j < t.length; j++) sizes &= t[j].byteSize() == parts[j].length;
      if (!sizes) continue;
      for (int j = 0; j < t.length; j++) MemorySegment.copy(parts[j], 0, t[j], ValueLayout.JAVA_BYTE, 0, parts[j].length);
      ok[i] = true;
      gets++;
    }
    return ok;
  }

  @Override public synchronized boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkBatch(keys, sources);
    boolean[] ok = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      ok[i] = true;
      if (pages.containsKey(keys.get(i))) continue;
      MemorySegment[] s = sources.get(i);
      byte[][] parts = new byte[s.length][];
      for (int j = 0; j < s.length; j++) parts[j] = s[j].toArray(ValueLayout.JAVA_BYTE);
      pages.put(keys.get(i), parts);
      sets++;
    }
    return ok;
  }

  /** The page's bytes (its first part, in the host layout's page order) stored under {@code key}, or null. */
  synchronized byte[] pageBytes(PageKey key) {
    byte[][] parts = pages.get(key);
    return parts == null ? null : parts[0];
  }

  /** Whether a page is stored under {@code key}. */
  synchronized boolean holds(PageKey key) { return pages.containsKey(key); }

  @Override public synchronized boolean remove(PageKey key) { return pages.remove(key) != null; }

  @Override public synchronized void clear() { pages.clear(); }

  synchronized int size() { return pages.size(); }

  /** The keys held now (a test removes some of them to make one store differ from another). */
  synchronized List<PageKey> keys() { return List.copyOf(pages.keySet()); }

  /** A new store holding this one's pages that {@code keep} accepts (bytes shared: pages are never mutated). */
  synchronized InMemoryL3StoreDouble copy(java.util.function.Predicate<PageKey> keep) {
    InMemoryL3StoreDouble c = new InMemoryL3StoreDouble();
    pages.forEach((k, v) -> {
      if (keep.test(k)) c.pages.put(k, v);
    });
    return c;
  }

  @Override public void close() {}
}
