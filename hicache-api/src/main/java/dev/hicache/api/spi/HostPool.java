package dev.hicache.api.spi;

import dev.hicache.api.LayoutDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * The L2 host KV pool (docs/behaviour.md#host-pool): one buffer in one layout, registered with the
 * device (for DMA) and with an L3 transport (for zero copy) through {@link MemoryRegistrar}s.
 */
public interface HostPool extends KvPool {
  /** Where every (part, layer, slot) item lives in {@link #buffer()}. */
  LayoutDescriptor layout();

  /**
   * The whole KV buffer. A view: the pool owns the memory, and the segment is invalid after
   * close. Long-lived objects must keep slot indices, never this view (views kept in tree nodes
   * grew SGLang's resident memory).
   */
  MemorySegment buffer();

  /** Copies one page starting at page-aligned {@code firstSlot} into {@code flat} (local layout order). */
  void readPage(int firstSlot, MemorySegment flat);

  /** Copies a flat page (local layout order) into the page starting at {@code firstSlot}. */
  void writePage(int firstSlot, MemorySegment flat);

  /** Bytes of one page, all parts and layers. */
  default long pageBytes() {
    return layout().shape().bytesPerPage();
  }
}
