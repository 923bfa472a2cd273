package dev.hicache.core.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.pool.HostMemoryDevicePool;
import java.util.concurrent.Executor;

/**
 * Test double of an L1 pool: a real {@link HostMemoryDevicePool} that the test "engine" fills with
 * bytes derived from each page's key ({@link #fillPage}) and checks ({@link #pageHolds}), so any
 * misplaced, stale or overwritten page is detected.
 */
final class KeyedDevicePoolDouble implements KeyedDevicePool {
  private final HostMemoryDevicePool pool;

  KeyedDevicePoolDouble(KvShape shape, int tokens) {
    this(shape, tokens, null);
  }

  KeyedDevicePoolDouble(KvShape shape, int tokens, Executor copies) {
    this.pool = new HostMemoryDevicePool(shape, tokens, copies);
  }

  /** What the engine's forward pass does: writes the KV of the page with key {@code key}. */
  @Override public void fillPage(int page, PageKey key) {
    KeyedPages.fill(pool.layout(), pool.buffer(), page, key);
  }

  @Override public boolean pageHolds(int page, PageKey key) {
    return KeyedPages.holds(pool.layout(), pool.buffer(), page, key);
  }

  @Override public Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots) { return pool.backup(deviceSlots, host, hostSlots); }
  private java.util.function.IntPredicate failLoadsTo = p -> false;
  private long failedLoads;

  @Override public void failLoadsTo(java.util.function.IntPredicate pages) { failLoadsTo = pages; }

  @Override public long failedLoads() { return failedLoads; }

  @Override public Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots) {
    if (deviceSlots.length > 0 && failLoadsTo.test(deviceSlots[0] / pool.shape().pageSize())) {
      failedLoads++;
      dev.hicache.core.pool.CopyTransfer t = new dev.hicache.core.pool.CopyTransfer(pool.shape().layers(), 0);
      t.fail(new java.io.IOException("test double: load into device page " + deviceSlots[0] / pool.shape().pageSize() + " fails"));
      return t;
    }
    return pool.load(hostSlots, host, deviceSlots);
  }
  @Override public KvShape shape() { return pool.shape(); }
  @Override public int capacityTokens() { return pool.capacityTokens(); }
  @Override public int availableTokens() { return pool.availableTokens(); }
  @Override public int[] alloc(int tokens) { return pool.alloc(tokens); }
  @Override public void free(int[] slots) { pool.free(slots); }
  @Override public long outstandingBytes() { return pool.outstandingBytes(); }
  @Override public void close() { pool.close(); }
}
