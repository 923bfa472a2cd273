package dev.hicache.core.engine;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/** Test double: an L3 store that waits a random time (up to a bound) before each batch call, as a remote store does. */
final class DelayingL3Store implements L3Store {
  private final L3Store store;
  private final long maxDelayNanos;
  private final SplittableRandom rnd;

  DelayingL3Store(L3Store store, long maxDelayNanos, SplittableRandom rnd) {
    this.store = store;
    this.maxDelayNanos = maxDelayNanos;
    this.rnd = rnd;
  }

  private void delay() {
    if (maxDelayNanos <= 0) return;
    long d;
    synchronized (rnd) { d = rnd.nextLong(maxDelayNanos); }
    LockSupport.parkNanos(d);
  }

  @Override public String name() { return "delaying(" + store.name() + ")"; }

  @Override public Capabilities capabilities() { return store.capabilities(); }

  @Override public int batchExists(List<PageKey> keys) {
    delay();
    return store.batchExists(keys);
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    delay();
    return store.batchGet(keys, targets);
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    delay();
    return store.batchSet(keys, sources);
  }

  @Override public boolean remove(PageKey key) { return store.remove(key); }

  @Override public void clear() { store.clear(); }

  @Override public void close() { store.close(); }
}
