package dev.hicache.core.engine;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.core.pool.OffHeapHostPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Test double of an L2 pool: a real {@link OffHeapHostPool} whose bytes a test can corrupt at
 * rest ({@link #flipByte}), as a stray write or a use-after-free would.
 */
final class CorruptibleHostPoolDouble implements CorruptibleHostPool {
  private final OffHeapHostPool pool;
  long flips;

  CorruptibleHostPoolDouble(KvShape shape, MemLayout layout, int tokens) {
    this.pool = new OffHeapHostPool(shape, layout, tokens);
  }

  /** Flips one byte of host page {@code page}, at a position derived from {@code salt}. */
  @Override public void flipByte(int page, long salt) {
    long[] r = pool.layout().pageObjectRanges(page * pool.shape().pageSize());
    int range = (int) Math.floorMod(salt, (long) r.length / 2);
    long off = r[2 * range] + Math.floorMod(salt >>> 8, r[2 * range + 1]);
    byte b = pool.buffer().get(ValueLayout.JAVA_BYTE, off);
    pool.buffer().set(ValueLayout.JAVA_BYTE, off, (byte) ~b);
    flips++;
  }

  @Override public LayoutDescriptor layout() { return pool.layout(); }
  @Override public MemorySegment buffer() { return pool.buffer(); }
  @Override public void readPage(int firstSlot, MemorySegment flat) { pool.readPage(firstSlot, flat); }
  @Override public void writePage(int firstSlot, MemorySegment flat) { pool.writePage(firstSlot, flat); }
  @Override public KvShape shape() { return pool.shape(); }
  @Override public int capacityTokens() { return pool.capacityTokens(); }
  @Override public int availableTokens() { return pool.availableTokens(); }
  @Override public int[] alloc(int tokens) { return pool.alloc(tokens); }
  @Override public void free(int[] slots) { pool.free(slots); }
  @Override public long outstandingBytes() { return pool.outstandingBytes(); }
  @Override public void close() { pool.close(); }
}
