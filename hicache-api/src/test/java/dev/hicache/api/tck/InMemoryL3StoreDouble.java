package dev.hicache.api.tck;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test double: the simplest correct {@link L3Store}, a concurrent map of immutable byte arrays.
 * It proves that {@link L3StoreTck} passes on a store that keeps the contract; the broken
 * variants in {@link BrokenL3StoreDoubles} prove that it fails on stores that do not.
 */
public class InMemoryL3StoreDouble implements L3Store {
  protected final ConcurrentHashMap<PageKey, byte[][]> pages = new ConcurrentHashMap<>();
  private volatile boolean closed;

  @Override public String name() {
    return "in-memory-double";
  }

  @Override public Capabilities capabilities() {
    return new Capabilities(false, false, false);
  }

  protected void checkOpen() {
    if (closed) throw new IllegalStateException("in-memory-double is closed");
  }

  @Override public int batchExists(List<PageKey> keys) {
    L3Store.checkBatch(keys, null);
    checkOpen();
    int run = 0;
    while (run < keys.size() && pages.containsKey(keys.get(run))) run++;
    return run;
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkPageBatch(keys, targets);
    checkOpen();
    boolean[] out = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) out[i] = read(pages.get(keys.get(i)), targets.get(i));
    return out;
  }

  protected boolean read(byte[][] stored, MemorySegment[] target) {
    if (stored == null || stored.length != target.length) return false;
    for (int p = 0; p < stored.length; p++) {
      if (target[p].byteSize() != stored[p].length) return false;
    }
    for (int p = 0; p < stored.length; p++) {
      MemorySegment.copy(stored[p], 0, target[p], ValueLayout.JAVA_BYTE, 0, stored[p].length);
    }
    return true;
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkPageBatch(keys, sources);
    checkOpen();
    boolean[] out = new boolean[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      pages.putIfAbsent(keys.get(i), copy(sources.get(i)));
      out[i] = true;
    }
    return out;
  }

  protected static byte[][] copy(MemorySegment[] parts) {
    byte[][] c = new byte[parts.length][];
    for (int p = 0; p < parts.length; p++) c[p] = parts[p].toArray(ValueLayout.JAVA_BYTE);
    return c;
  }

  @Override public boolean remove(PageKey key) {
    L3Store.checkKey(key);
    checkOpen();
    return pages.remove(key) != null;
  }

  @Override public void clear() {
    checkOpen();
    pages.clear();
  }

  @Override public void close() {
    closed = true;
  }
}
