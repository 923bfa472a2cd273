package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test double: wraps a store and injects faults — down (every call throws UNAVAILABLE), errors
 * (calls throw INTERNAL with a probability), full (writes throw FULL), corrupt (a read page gets a
 * flipped byte with a probability), slow (reported through {@link #extraLatencyNanos()} to a
 * virtual-time cost model). Counts what it did. Seeded: reproducible.
 */
final class FaultInjectingL3StoreDouble implements L3Store {
  enum Mode { HEALTHY, DOWN, ERRORS, FULL, CORRUPT, SLOW }

  private final L3Store delegate;
  private final SplittableRandom rnd;
  private volatile Mode mode = Mode.HEALTHY;
  private volatile double probability = 1.0;
  private volatile long slowNanos;
  long operationsTried;
  long faultsInjected;
  long pagesCorrupted;

  FaultInjectingL3StoreDouble(L3Store delegate, long seed) {
    this.delegate = delegate;
    this.rnd = new SplittableRandom(seed);
  }

  synchronized void set(Mode m, double p) {
    mode = m;
    probability = p;
  }

  synchronized void slow(long nanos) {
    slowNanos = nanos;
  }

  long extraLatencyNanos() {
    return mode == Mode.SLOW ? slowNanos : 0;
  }

  private synchronized boolean roll() {
    return rnd.nextDouble() < probability;
  }

  private synchronized void tried() {
    operationsTried++;
  }

  private synchronized void injected() {
    faultsInjected++;
  }

  private void maybeFail(boolean write) {
    tried();
    Mode m = mode;
    if (m == Mode.DOWN) {
      injected();
      throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "injected: store down");
    }
    if (m == Mode.ERRORS && roll()) {
      injected();
      throw new L3Exception(L3Exception.Cause.INTERNAL, "injected: error");
    }
    if (m == Mode.FULL && write) {
      injected();
      throw new L3Exception(L3Exception.Cause.FULL, "injected: store full");
    }
    if (m == Mode.SLOW && slowNanos > 0) injected();
  }

  @Override public String name() { return "fault-injecting(" + delegate.name() + ")"; }

  @Override public Capabilities capabilities() { return delegate.capabilities(); }

  @Override public int batchExists(List<PageKey> keys) {
    maybeFail(false);
    return delegate.batchExists(keys);
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    maybeFail(false);
    boolean[] ok = delegate.batchGet(keys, targets);
    if (mode == Mode.CORRUPT) {
      for (int i = 0; i < ok.length; i++) {
        if (ok[i] && roll()) {
          MemorySegment part = targets.get(i)[0];
          long at;
          synchronized (this) {
            at = rnd.nextLong(part.byteSize());
            pagesCorrupted++;
          }
          part.set(ValueLayout.JAVA_BYTE, at, (byte) (part.get(ValueLayout.JAVA_BYTE, at) ^ 0x5A));
          injected();
        }
      }
    }
    return ok;
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    maybeFail(true);
    return delegate.batchSet(keys, sources);
  }

  @Override public boolean remove(PageKey key) {
    maybeFail(true);
    return delegate.remove(key);
  }

  @Override public void clear() { delegate.clear(); }

  @Override public void close() { delegate.close(); }
}
