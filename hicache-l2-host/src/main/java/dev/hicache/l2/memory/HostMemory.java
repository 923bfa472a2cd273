package dev.hicache.l2.memory;

import java.lang.foreign.MemorySegment;

/**
 * One block of host memory that this object owns: a private anonymous mapping on the path its
 * {@link #report()} names. Close unmaps it once (a second close does nothing); the segment and
 * every slice of it throw {@link IllegalStateException} after close.
 */
public final class HostMemory implements AutoCloseable {
  private final NativeMapping mapping;
  private final AllocationReport report;
  private final HostMemoryAllocator owner;

  HostMemory(NativeMapping mapping, AllocationReport report, HostMemoryAllocator owner) {
    this.mapping = mapping;
    this.report = report;
    this.owner = owner;
  }

  /** The requested bytes; a view whose scope ends at close. */
  public MemorySegment segment() {
    return mapping.segment();
  }

  public long address() {
    return mapping.address();
  }

  /** Bytes actually mapped (the request rounded up to the path's page); 0 once closed. */
  public long mappedBytes() {
    return mapping.unmapped() ? 0 : mapping.length();
  }

  public PagePath path() {
    return report.chosen();
  }

  public AllocationReport report() {
    return report;
  }

  public boolean isClosed() {
    return mapping.unmapped();
  }

  @Override public void close() {
    if (mapping.unmap()) owner.released(mapping.length());
  }

  @Override public String toString() {
    return "HostMemory[" + report.describe() + (isClosed() ? ", closed" : "") + "]";
  }
}
