package dev.hicache.l2.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One anonymous mapping and the scope of its segment. Unmapping closes the scope first, so a
 * segment (or any slice of it) used afterwards throws {@link IllegalStateException} instead of
 * touching unmapped memory; closing a shared scope also waits out threads inside an access.
 */
final class NativeMapping {
  private final long address;
  private final long length;
  private final Arena scope;
  private final MemorySegment segment;
  private final AtomicBoolean unmapped = new AtomicBoolean();

  /** Wraps [address, address + length); {@code usable} bytes of it form the segment. */
  NativeMapping(long address, long length, long usable) {
    this.address = address;
    this.length = length;
    this.scope = Arena.ofShared();
    this.segment = MemorySegment.ofAddress(address).reinterpret(usable, scope, null);
  }

  long address() {
    return address;
  }

  long length() {
    return length;
  }

  MemorySegment segment() {
    return segment;
  }

  boolean unmapped() {
    return unmapped.get();
  }

  /** Unmaps once; later calls return false. */
  boolean unmap() {
    if (!unmapped.compareAndSet(false, true)) return false;
    scope.close();
    Libc.Result r = Libc.get().munmap(address, length);
    if (r.failed()) {
      // The range came from our own mmap with our own length, so this cannot happen short of a
      // corrupted address; saying so beats a silent leak.
      throw new IllegalStateException("munmap(" + Long.toHexString(address) + ", " + length + ") failed: "
          + Libc.get().describe(r.errno()));
    }
    return true;
  }
}
