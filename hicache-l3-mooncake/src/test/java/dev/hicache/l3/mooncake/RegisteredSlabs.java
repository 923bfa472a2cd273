package dev.hicache.l3.mooncake;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Test memory for zero-copy calls: one off-heap region cut into slabs, each handed out as an
 * {@link Arena} that bump-allocates inside it (what a host pool's slots are to the engine). The
 * region is registered with each store under test; closing a slab arena returns the slab.
 */
final class RegisteredSlabs implements AutoCloseable {
  private final Arena owner = Arena.ofShared();
  private final MemorySegment region;
  private final BlockingQueue<MemorySegment> free;

  RegisteredSlabs(int slabs, long slabBytes) {
    region = owner.allocate(slabs * slabBytes, 4096);
    free = new ArrayBlockingQueue<>(slabs);
    for (int i = 0; i < slabs; i++) free.add(region.asSlice(i * slabBytes, slabBytes));
  }

  MemorySegment region() {
    return region;
  }

  /** An arena over one free slab (waits for one when all are in use). */
  Arena arena() {
    MemorySegment slab;
    try {
      slab = free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new Arena() {
      private long used;
      private boolean closed;

      @Override public synchronized MemorySegment allocate(long byteSize, long byteAlignment) {
        if (closed) throw new IllegalStateException("slab arena closed");
        long start = (slab.address() + used + byteAlignment - 1) / byteAlignment * byteAlignment - slab.address();
        if (start + byteSize > slab.byteSize()) {
          throw new IllegalStateException("test slab of " + slab.byteSize() + " bytes is full");
        }
        used = start + byteSize;
        return slab.asSlice(start, byteSize).fill((byte) 0);
      }

      @Override public MemorySegment.Scope scope() {
        return owner.scope();
      }

      @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        free.add(slab);
      }
    };
  }

  @Override public void close() {
    owner.close();
  }
}
