package dev.hicache.core.pool;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.config.HiCacheConfig;
import dev.hicache.api.config.HostPoolSizing;
import dev.hicache.api.spi.HostPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A simple L2 host pool: one off-heap FFM segment in any of the three layouts, not pinned and not
 * on hugepages (the real pinned hugepage pool lives in hicache-l2-host behind the same SPI).
 */
public final class OffHeapHostPool implements HostPool {
  private final LayoutDescriptor layout;
  private final Arena arena;
  private final MemorySegment buffer;
  private final PageFreeList free;
  private volatile boolean closed;

  public OffHeapHostPool(KvShape shape, MemLayout memLayout, int capacityTokens) {
    if (shape == null || memLayout == null) throw new IllegalArgumentException("shape and layout are required");
    if (capacityTokens < shape.pageSize() || capacityTokens % shape.pageSize() != 0) {
      throw new IllegalArgumentException("host pool capacity " + capacityTokens
          + " tokens must be a positive multiple of page size " + shape.pageSize());
    }
    this.layout = new LayoutDescriptor(shape, memLayout, capacityTokens);
    this.arena = Arena.ofShared();
    this.buffer = arena.allocate(layout.totalBytes(), 64);
    this.free = new PageFreeList(capacityTokens / shape.pageSize());
  }

  /**
   * A pool sized by {@code --hicache-ratio} / {@code --hicache-size} against a device pool of
   * {@code deviceTokens} (docs/behaviour.md#host-pool-size), in the configured {@code
   * --hicache-mem-layout}.
   */
  public static OffHeapHostPool sized(HiCacheConfig config, KvShape shape, int deviceTokens) {
    return sized(config, shape, deviceTokens, Long.MAX_VALUE);
  }

  /**
   * {@link #sized(HiCacheConfig, KvShape, int)}, also rejecting a pool that would leave less than
   * 10 GiB of {@code availableBytes} (e.g. MemAvailable) to the system, as SGLang does.
   */
  public static OffHeapHostPool sized(HiCacheConfig config, KvShape shape, int deviceTokens, long availableBytes) {
    long tokens = HostPoolSizing.hostTokens(config, deviceTokens, shape.bytesPerToken());
    if (availableBytes != Long.MAX_VALUE) {
      String flag = HostPoolSizing.setting(config);
      HostPoolSizing.checkFits(tokens * shape.bytesPerToken(), availableBytes, flag);
    }
    if (tokens > Integer.MAX_VALUE - shape.pageSize()) {
      throw new IllegalArgumentException("host pool of " + tokens + " tokens is too large for one pool");
    }
    return new OffHeapHostPool(shape, config.memLayout(), (int) tokens);
  }

  @Override public KvShape shape() { return layout.shape(); }
  @Override public LayoutDescriptor layout() { return layout; }

  @Override public MemorySegment buffer() {
    checkOpen();
    return buffer;
  }

  @Override public int capacityTokens() { return layout.tokens(); }

  @Override public synchronized int availableTokens() { return free.available() * shape().pageSize(); }

  @Override public synchronized int[] alloc(int tokens) {
    checkOpen();
    int ps = shape().pageSize();
    if (tokens % ps != 0) throw new IllegalArgumentException(tokens + " tokens is not a multiple of page size " + ps);
    int[] pages = free.alloc(tokens / ps);
    return pages == null ? null : SlotPages.slots(pages, ps);
  }

  @Override public synchronized void free(int[] slots) {
    checkOpen();
    for (int p : SlotPages.pages(slots, shape().pageSize())) free.free(p);
  }

  @Override public void readPage(int firstSlot, MemorySegment flat) {
    checkOpen();
    long[] r = layout.pageObjectRanges(firstSlot);
    long off = 0;
    for (int i = 0; i < r.length; i += 2) {
      MemorySegment.copy(buffer, r[i], flat, off, r[i + 1]);
      off += r[i + 1];
    }
  }

  @Override public void writePage(int firstSlot, MemorySegment flat) {
    checkOpen();
    long[] r = layout.pageObjectRanges(firstSlot);
    long off = 0;
    for (int i = 0; i < r.length; i += 2) {
      MemorySegment.copy(flat, off, buffer, r[i], r[i + 1]);
      off += r[i + 1];
    }
  }

  @Override public long outstandingBytes() { return closed ? 0 : layout.totalBytes(); }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("host pool is closed");
  }

  @Override public synchronized void close() {
    if (closed) return;
    closed = true;
    arena.close();
  }
}
