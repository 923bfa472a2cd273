package dev.hicache.l1;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.PageKey;
import dev.hicache.api.config.IoBackend;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import dev.hicache.core.engine.KeyedDevicePool;
import dev.hicache.core.engine.KeyedPages;
import dev.hicache.core.pool.CopyTransfer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * hicache-core's engine contract suites' L1 pool ({@link KeyedDevicePool}) on a real {@link
 * CudaDevicePool}: KV in GPU memory, every backup and load a real CUDA transfer on the pool's
 * streams. Pools alternate between the two io backends ({@code direct}, {@code kernel}); the
 * engine's script varies the host layout, so every strategy is exercised.
 *
 * <p>The engine's "forward pass" ({@link #fillPage}) writes the key-derived bytes into a pinned
 * one-page staging pool and copies them to the device page through the pool's own load path;
 * {@link #pageHolds} reads the whole device buffer back with a plain cudaMemcpy (independent of
 * the transfer paths under test) and checks the page byte for byte.
 *
 * <p>The executor the production-shell test passes is not used: the GPU's streams are the
 * asynchronous copy engine here.
 */
final class CudaKeyedDevicePoolDouble implements KeyedDevicePool {
  /** Transfers issued through CUDA by pools of this class, per backend (the test checks both ran). */
  static final AtomicLong DIRECT_TRANSFERS = new AtomicLong();
  static final AtomicLong KERNEL_TRANSFERS = new AtomicLong();
  static final AtomicLong PAGES_VERIFIED = new AtomicLong();
  private static final AtomicLong POOLS = new AtomicLong();
  private static final CudaMemoryRegistrar CUDA = new CudaMemoryRegistrar();

  private final CudaDevicePool pool;
  private final PinnedHostPoolDouble staging;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment readBack;
  private final AtomicLong transfers;

  CudaKeyedDevicePoolDouble(KvShape shape, int tokens) {
    this(shape, tokens, null);
  }

  CudaKeyedDevicePoolDouble(KvShape shape, int tokens, Executor unusedCopies) {
    IoBackend backend = POOLS.getAndIncrement() % 2 == 0 ? IoBackend.DIRECT : IoBackend.KERNEL;
    this.transfers = backend == IoBackend.DIRECT ? DIRECT_TRANSFERS : KERNEL_TRANSFERS;
    // Staging ring of 2 x 4 pages: a multi-page backup on the kernel backend's staged path takes several chunks.
    this.pool = new CudaDevicePool(shape, tokens, backend, 0, 8L * shape.bytesPerPage());
    try {
      this.staging = new PinnedHostPoolDouble(shape, MemLayout.LAYER_FIRST, shape.pageSize(), CUDA);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    this.readBack = arena.allocate(pool.layout().totalBytes(), 64);
  }

  /** What the engine's forward pass does: writes the KV of the page with key {@code key} (into GPU memory). */
  @Override public synchronized void fillPage(int page, PageKey key) {
    KeyedPages.fill(staging.layout(), staging.buffer(), 0, key);
    int ps = pool.shape().pageSize();
    int[] deviceSlots = new int[ps];
    int[] stagingSlots = new int[ps];
    for (int t = 0; t < ps; t++) {
      deviceSlots[t] = page * ps + t;
      stagingSlots[t] = t;
    }
    Transfer t = pool.transfer(true, deviceSlots, staging, stagingSlots, TransferStrategy.COPY, false);
    try {
      t.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while filling device page " + page, e);
    }
    if (t.failure() != null) throw new IllegalStateException("filling device page " + page + " failed", t.failure());
  }

  /** Whether device page {@code page} holds exactly the key's bytes (read back from GPU memory). */
  @Override public synchronized boolean pageHolds(int page, PageKey key) {
    CudaPoolTestAccess.download(pool, readBack);
    PAGES_VERIFIED.incrementAndGet();
    return KeyedPages.holds(pool.layout(), readBack, page, key);
  }

  LayoutDescriptor layout() {
    return pool.layout();
  }

  private IntPredicate failLoadsTo = p -> false;
  private long failedLoads;

  @Override public void failLoadsTo(IntPredicate pages) { failLoadsTo = pages; }

  @Override public long failedLoads() { return failedLoads; }

  @Override public Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots) {
    transfers.incrementAndGet();
    return pool.backup(deviceSlots, host, hostSlots);
  }

  @Override public Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots) {
    if (deviceSlots.length > 0 && failLoadsTo.test(deviceSlots[0] / pool.shape().pageSize())) {
      failedLoads++;
      CopyTransfer t = new CopyTransfer(pool.shape().layers(), 0);
      t.fail(new java.io.IOException("test double: load into device page " + deviceSlots[0] / pool.shape().pageSize() + " fails"));
      return t;
    }
    transfers.incrementAndGet();
    return pool.load(hostSlots, host, deviceSlots);
  }

  @Override public KvShape shape() { return pool.shape(); }
  @Override public int capacityTokens() { return pool.capacityTokens(); }
  @Override public int availableTokens() { return pool.availableTokens(); }
  @Override public int[] alloc(int tokens) { return pool.alloc(tokens); }
  @Override public void free(int[] slots) { pool.free(slots); }
  @Override public long outstandingBytes() { return pool.outstandingBytes() + staging.outstandingBytes(); }

  @Override public synchronized void close() {
    pool.close();
    staging.close();
    if (arena.scope().isAlive()) arena.close();
  }

  @Override public String toString() {
    return "CudaKeyedDevicePoolDouble on " + pool;
  }
}
