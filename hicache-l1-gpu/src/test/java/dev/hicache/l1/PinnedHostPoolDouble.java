package dev.hicache.l1;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.MemoryRegistrar;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A test double of the L2 host pool (the real one lives in hicache-l2-host, which this module may
 * not depend on): one Arena-allocated buffer in a given layout, registered through the given
 * registrars (here: CUDA's), whole-page slot allocation. Enough for the device pool's transfers.
 *
 * <p>The buffer owns whole 4 KiB OS pages (size rounded up, aligned to at least 4 KiB): CUDA pins
 * whole pages, and a second registration touching a page already pinned for another small buffer
 * would fail (the engine property tests make thousands of small pools). Also the engine contract
 * suites' host pool (PinnedCorruptibleHostPoolDouble).
 */
public final class PinnedHostPoolDouble implements HostPool {
  private final LayoutDescriptor layout;
  private final Arena arena;
  private final MemorySegment buffer;
  private final List<MemoryRegistrar.Registration> registrations = new ArrayList<>();
  private final FifoPageAllocator pages;
  private boolean closed;

  public PinnedHostPoolDouble(KvShape shape, MemLayout memLayout, int tokens, MemoryRegistrar... registrars) {
    this.layout = new LayoutDescriptor(shape, memLayout, tokens);
    this.arena = Arena.ofShared();
    long osPage = 4096;
    long owned = (layout.totalBytes() + osPage - 1) / osPage * osPage;
    this.buffer = arena.allocate(owned, layout.totalBytes() >= (2L << 20) ? 2L << 20 : osPage).asSlice(0, layout.totalBytes());
    try {
      for (MemoryRegistrar r : registrars) registrations.add(r.register(buffer));
    } catch (RuntimeException e) {
      registrations.forEach(MemoryRegistrar.Registration::close);
      arena.close();
      throw e;
    }
    this.pages = new FifoPageAllocator(tokens / shape.pageSize(), shape.pageSize());
  }

  @Override public LayoutDescriptor layout() {
    return layout;
  }

  @Override public MemorySegment buffer() {
    check();
    return buffer;
  }

  @Override public void readPage(int firstSlot, MemorySegment flat) {
    check();
    long[] r = layout.pageObjectRanges(firstSlot);
    long at = 0;
    for (int i = 0; i < r.length; i += 2) {
      MemorySegment.copy(buffer, r[i], flat, at, r[i + 1]);
      at += r[i + 1];
    }
  }

  @Override public void writePage(int firstSlot, MemorySegment flat) {
    check();
    long[] r = layout.pageObjectRanges(firstSlot);
    long at = 0;
    for (int i = 0; i < r.length; i += 2) {
      MemorySegment.copy(flat, at, buffer, r[i], r[i + 1]);
      at += r[i + 1];
    }
  }

  @Override public KvShape shape() {
    return layout.shape();
  }

  @Override public int capacityTokens() {
    return layout.tokens();
  }

  @Override public int availableTokens() {
    return pages.availableTokens();
  }

  @Override public int[] alloc(int tokens) {
    check();
    return pages.alloc(tokens);
  }

  @Override public void free(int[] slots) {
    check();
    pages.free(slots);
  }

  @Override public long outstandingBytes() {
    return closed ? 0 : layout.totalBytes();
  }

  private void check() {
    if (closed) throw new IllegalStateException("host pool double closed");
  }

  @Override public void close() {
    if (closed) return;
    closed = true;
    registrations.forEach(MemoryRegistrar.Registration::close);
    arena.close();
  }
}
