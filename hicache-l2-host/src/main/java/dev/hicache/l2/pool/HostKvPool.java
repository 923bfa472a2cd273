package dev.hicache.l2.pool;

import dev.hicache.api.KvShape;
import dev.hicache.api.LayoutDescriptor;
import dev.hicache.api.MemLayout;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.MemoryRegistrar;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.AllocationReport;
import dev.hicache.l2.memory.HostMemory;
import dev.hicache.l2.memory.HostMemoryAllocator;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The L2 host KV pool (docs/behaviour.md#host-pool): one buffer of host memory in one layout, its
 * page allocator, and its registrations with every {@link MemoryRegistrar} it was given (CUDA
 * pinning, Mooncake's zero-copy registration), which it closes before it unmaps the buffer.
 *
 * <p>Offsets come from the api's {@link LayoutDescriptor} and nowhere else. Close returns every
 * byte, a second close does nothing, and any use after close throws {@link IllegalStateException}.
 */
public final class HostKvPool implements HostPool {
  private final LayoutDescriptor layout;
  private final HostMemory memory;
  private final MemorySegment buffer;
  private final FifoRingPageAllocator pages;
  private final List<MemoryRegistrar.Registration> registrations;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HostKvPool(LayoutDescriptor layout, HostMemory memory, List<MemoryRegistrar.Registration> registrations) {
    this.layout = layout;
    this.memory = memory;
    this.buffer = memory.segment();
    this.pages = new FifoRingPageAllocator(layout.tokens(), layout.shape().pageSize());
    this.registrations = registrations;
  }

  /**
   * Maps the buffer for {@code capacityTokens} slots, then registers it with each registrar in
   * order. When a registrar fails, the registrations made so far are closed and the memory is
   * unmapped before the failure is thrown: nothing is left half made.
   *
   * @throws dev.hicache.l2.memory.HostMemoryException when no allowed page path can map it
   */
  public static HostKvPool create(KvShape shape, MemLayout memLayout, int capacityTokens, HostMemoryAllocator allocator,
      AllocationOptions options, List<? extends MemoryRegistrar> registrars) {
    if (capacityTokens < shape.pageSize()) {
      throw new IllegalArgumentException("a host pool needs at least one page of " + shape.pageSize() + " tokens, got "
          + capacityTokens);
    }
    LayoutDescriptor layout = new LayoutDescriptor(shape, memLayout, capacityTokens);
    HostMemory memory = allocator.allocate(layout.totalBytes(), options);
    List<MemoryRegistrar.Registration> regs = new ArrayList<>();
    try {
      for (MemoryRegistrar r : registrars) {
        MemoryRegistrar.Registration reg;
        try {
          reg = r.register(memory.segment());
        } catch (RuntimeException e) {
          throw new IllegalStateException("registrar '" + r.name() + "' could not register the host pool ("
              + layout.totalBytes() + " B): " + e.getMessage(), e);
        }
        if (reg == null) throw new IllegalStateException("registrar '" + r.name() + "' returned no registration");
        regs.add(reg);
      }
    } catch (RuntimeException e) {
      for (int i = regs.size() - 1; i >= 0; i--) {
        try {
          regs.get(i).close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      memory.close();
      throw e;
    }
    return new HostKvPool(layout, memory, List.copyOf(regs));
  }

  /** The pool a {@link HostPoolPlanner.Plan} sized, in the plan's resolved layout. */
  public static HostKvPool create(HostPoolPlanner.Plan plan, HostMemoryAllocator allocator, AllocationOptions options,
      List<? extends MemoryRegistrar> registrars) {
    return create(plan.shape(), plan.config().memLayout(), plan.tokens(), allocator, options, registrars);
  }

  @Override public KvShape shape() {
    return layout.shape();
  }

  @Override public LayoutDescriptor layout() {
    return layout;
  }

  @Override public MemorySegment buffer() {
    ensureOpen();
    return buffer;
  }

  /** Which page path backs the buffer and why others were not used. */
  public AllocationReport allocationReport() {
    return memory.report();
  }

  /** The registrations held, in registration order. */
  public List<MemoryRegistrar.Registration> registrations() {
    return registrations;
  }

  @Override public int capacityTokens() {
    return layout.tokens();
  }

  @Override public int availableTokens() {
    ensureOpen();
    return pages.availableTokens();
  }

  @Override public int[] alloc(int tokens) {
    ensureOpen();
    return pages.alloc(tokens);
  }

  @Override public void free(int[] slots) {
    ensureOpen();
    pages.free(slots);
  }

  /** Whether the page starting at {@code firstSlot} is allocated. */
  public boolean isAllocated(int firstSlot) {
    ensureOpen();
    return pages.isAllocated(firstSlot);
  }

  @Override public void readPage(int firstSlot, MemorySegment flat) {
    ensureOpen();
    long[] ranges = ranges(firstSlot, flat);
    long at = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      MemorySegment.copy(buffer, ranges[i], flat, at, ranges[i + 1]);
      at += ranges[i + 1];
    }
  }

  @Override public void writePage(int firstSlot, MemorySegment flat) {
    ensureOpen();
    long[] ranges = ranges(firstSlot, flat);
    long at = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      MemorySegment.copy(flat, at, buffer, ranges[i], ranges[i + 1]);
      at += ranges[i + 1];
    }
  }

  /**
   * The page starting at {@code firstSlot} as views of the buffer, one per L3 object
   * (docs/behaviour.md#page-views-for-l3): one per K/V part for page_first and page_first_direct,
   * one per part and layer for layer_first. Their concatenation is the flat page of {@link
   * #readPage}. Views, valid until close.
   */
  public MemorySegment[] pageObjects(int firstSlot) {
    ensureOpen();
    long[] r = layout.pageObjectRanges(firstSlot);
    MemorySegment[] views = new MemorySegment[r.length / 2];
    for (int i = 0; i < views.length; i++) views[i] = buffer.asSlice(r[2 * i], r[2 * i + 1]);
    return views;
  }

  private long[] ranges(int firstSlot, MemorySegment flat) {
    long[] r = layout.pageObjectRanges(firstSlot);
    if (flat.byteSize() < pageBytes()) {
      throw new IllegalArgumentException("a flat page needs " + pageBytes() + " bytes, the buffer has " + flat.byteSize());
    }
    return r;
  }

  @Override public long outstandingBytes() {
    return memory.mappedBytes();
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Closes the registrations (last first), then unmaps the buffer, even when a registration's
   * close throws; that failure is rethrown afterwards. Idempotent.
   */
  @Override public void close() {
    if (!closed.compareAndSet(false, true)) return;
    RuntimeException first = null;
    for (int i = registrations.size() - 1; i >= 0; i--) {
      try {
        registrations.get(i).close();
      } catch (RuntimeException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    memory.close();
    if (first != null) throw first;
  }

  private void ensureOpen() {
    if (closed.get()) throw new IllegalStateException("the host KV pool (" + layout + ") is closed");
  }

  @Override public String toString() {
    return "HostKvPool[" + layout + ", " + memory.report().describe() + (closed.get() ? ", closed" : "") + "]";
  }
}
