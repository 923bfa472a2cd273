package dev.hicache.l1;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.core.engine.CorruptibleHostPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * hicache-core's engine contract suites' L2 pool ({@link CorruptibleHostPool}) with its buffer
 * registered with CUDA ({@code cudaHostRegister} through {@link CudaMemoryRegistrar}, as the real L2
 * pool is), so the device pool's copy engines and kernels move its bytes; a test can corrupt a page
 * at rest ({@link #flipByte}).
 */
final class PinnedCorruptibleHostPoolDouble implements CorruptibleHostPool {
  private static final CudaMemoryRegistrar CUDA = new CudaMemoryRegistrar();
  private final PinnedHostPoolDouble pool;
  long flips;

  PinnedCorruptibleHostPoolDouble(KvShape shape, MemLayout layout, int tokens) {
    this.pool = new PinnedHostPoolDouble(shape, layout, tokens, CUDA);
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
