package dev.hicache.core.pool;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.spi.DevicePool;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.Transfer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Executor;

/**
 * The L1 device pool in host memory, for CPU engines and tests: SGLang's layer-first device layout
 * (2, layer, slot, head, dim) in one FFM segment.
 *
 * <p>Copies run on the executor given at construction, layer by layer for loads, so a load's layers
 * land one after another as a GPU's load stream would; without an executor a copy runs in the
 * calling thread and its transfer is complete when the call returns.
 *
 * <p>Allocation is thread-safe. Close frees the memory; the owner must first stop issuing copies.
 */
public final class HostMemoryDevicePool implements DevicePool {
  private final KvShape shape;
  private final LayoutDescriptor layout;
  private final Executor copyExecutor;
  private final Arena arena;
  private final MemorySegment buffer;
  private final PageFreeList free;
  private volatile boolean closed;

  /** A pool whose copies run in the calling thread. */
  public HostMemoryDevicePool(KvShape shape, int capacityTokens) {
    this(shape, capacityTokens, null);
  }

  public HostMemoryDevicePool(KvShape shape, int capacityTokens, Executor copyExecutor) {
    if (shape == null) throw new IllegalArgumentException("shape is required");
    if (capacityTokens < shape.pageSize() || capacityTokens % shape.pageSize() != 0) {
      throw new IllegalArgumentException("device pool capacity " + capacityTokens
          + " tokens must be a positive multiple of page size " + shape.pageSize());
    }
    this.shape = shape;
    this.layout = new LayoutDescriptor(shape, MemLayout.LAYER_FIRST, capacityTokens);
    this.copyExecutor = copyExecutor;
    this.arena = Arena.ofShared();
    this.buffer = arena.allocate(layout.totalBytes(), 64);
    this.free = new PageFreeList(capacityTokens / shape.pageSize());
  }

  @Override public KvShape shape() { return shape; }

  /** The layer-first layout of {@link #buffer()}: where a serving engine reads and writes its KV. */
  public LayoutDescriptor layout() { return layout; }

  /** The KV buffer (a view; invalid after close). */
  public MemorySegment buffer() {
    checkOpen();
    return buffer;
  }

  @Override public int capacityTokens() { return layout.tokens(); }

  @Override public synchronized int availableTokens() { return free.available() * shape.pageSize(); }

  @Override public synchronized int[] alloc(int tokens) {
    checkOpen();
    if (tokens % shape.pageSize() != 0) {
      throw new IllegalArgumentException(tokens + " tokens is not a multiple of page size " + shape.pageSize());
    }
    int[] pages = free.alloc(tokens / shape.pageSize());
    return pages == null ? null : SlotPages.slots(pages, shape.pageSize());
  }

  @Override public synchronized void free(int[] slots) {
    checkOpen();
    for (int p : SlotPages.pages(slots, shape.pageSize())) free.free(p);
  }

  /** Whether the page holding {@code slot} is allocated (for tests' leak checks). */
  public synchronized boolean isAllocated(int slot) { return free.isAllocated(slot / shape.pageSize()); }

  @Override public long outstandingBytes() { return closed ? 0 : layout.totalBytes(); }

  @Override public Transfer backup(int[] deviceSlots, HostPool host, int[] hostSlots) {
    int[][] pp = checkCopy(deviceSlots, host, hostSlots);
    CopyTransfer t = new CopyTransfer(shape.layers(), (long) pp[0].length * shape.bytesPerPage());
    run(t, () -> {
      int ps = shape.pageSize();
      for (int layer = 0; layer < shape.layers(); layer++) {
        for (int i = 0; i < pp[0].length; i++) {
          PoolCopies.copyPageLayer(layout, buffer, pp[0][i] * ps, host.layout(), host.buffer(), pp[1][i] * ps, layer);
        }
      }
      // a backup completes as a whole (docs/behaviour.md#device-to-host-backup)
      t.layersLanded(shape.layers());
    });
    return t;
  }

  @Override public Transfer load(int[] hostSlots, HostPool host, int[] deviceSlots) {
    int[][] pp = checkCopy(deviceSlots, host, hostSlots);
    CopyTransfer t = new CopyTransfer(shape.layers(), (long) pp[0].length * shape.bytesPerPage());
    run(t, () -> {
      int ps = shape.pageSize();
      for (int layer = 0; layer < shape.layers(); layer++) {
        for (int i = 0; i < pp[0].length; i++) {
          PoolCopies.copyPageLayer(host.layout(), host.buffer(), pp[1][i] * ps, layout, buffer, pp[0][i] * ps, layer);
        }
        t.layersLanded(layer + 1);
      }
    });
    return t;
  }

  private void run(CopyTransfer t, Runnable copy) {
    Runnable guarded = () -> {
      try {
        copy.run();
      } catch (Throwable e) {
        t.fail(e);
      }
    };
    if (copyExecutor == null) guarded.run();
    else copyExecutor.execute(guarded);
  }

  private int[][] checkCopy(int[] deviceSlots, HostPool host, int[] hostSlots) {
    checkOpen();
    if (host == null) throw new IllegalArgumentException("host pool is required");
    if (!host.shape().equals(shape)) {
      throw new IllegalArgumentException("host pool shape " + host.shape() + " differs from device shape " + shape);
    }
    if (deviceSlots.length != hostSlots.length) {
      throw new IllegalArgumentException(deviceSlots.length + " device slots but " + hostSlots.length + " host slots");
    }
    int[] dp = SlotPages.pages(deviceSlots, shape.pageSize());
    int[] hp = SlotPages.pages(hostSlots, shape.pageSize());
    int devicePages = capacityTokens() / shape.pageSize();
    int hostPages = host.capacityTokens() / shape.pageSize();
    for (int i = 0; i < dp.length; i++) {
      if (dp[i] >= devicePages) throw new IllegalArgumentException("device page " + dp[i] + " is outside the pool");
      if (hp[i] >= hostPages) throw new IllegalArgumentException("host page " + hp[i] + " is outside the pool");
    }
    return new int[][] {dp, hp};
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("device pool is closed");
  }

  @Override public synchronized void close() {
    if (closed) return;
    closed = true;
    arena.close();
  }
}
