package dev.hicache.core.pool;

import dev.hicache.api.LayoutDescriptor;
import java.lang.foreign.MemorySegment;

/** Page copies between two KV buffers of the same shape, whatever their layouts (docs/behaviour.md#page-layouts). */
final class PoolCopies {
  private PoolCopies() {}

  /** Copies one layer of the page starting at {@code srcSlot} into the page at {@code dstSlot}, both parts. */
  static void copyPageLayer(LayoutDescriptor src, MemorySegment srcBuf, int srcSlot,
                            LayoutDescriptor dst, MemorySegment dstBuf, int dstSlot, int layer) {
    int ps = src.shape().pageSize();
    int run = Math.min(src.contiguousTokensPerLayer(), dst.contiguousTokensPerLayer());
    long runBytes = run * src.itemBytes();
    for (int kv = 0; kv < src.shape().kvParts(); kv++) {
      for (int t = 0; t < ps; t += run) {
        MemorySegment.copy(srcBuf, src.offset(kv, layer, srcSlot + t), dstBuf, dst.offset(kv, layer, dstSlot + t), runBytes);
      }
    }
  }
}
