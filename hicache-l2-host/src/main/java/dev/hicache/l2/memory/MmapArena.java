package dev.hicache.l2.memory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mooncake's mmap arena ({@code MmapArena}, docs/behaviour.md#mmap-arena): one populated mapping
 * carved by a lock-free bump pointer, with no individual frees.
 *
 * <p>Sizes are {@code size_t}: a {@code long} read as unsigned, so {@code allocate(-1)} asks for
 * 2^64 − 1 bytes and fails like Mooncake's {@code allocate(SIZE_MAX)}. A failed allocation returns
 * null, counts one failure and leaves the cursor where it was.
 *
 * <p>Unlike Mooncake's, which lives until the process exits, this arena can be closed: close
 * unmaps the pool, and every segment it handed out then throws {@link IllegalStateException}.
 */
public final class MmapArena implements AutoCloseable {
  public static final long DEFAULT_ALIGNMENT = 64;
  /** Pools are whole multiples of 2 MiB, whatever the page size. */
  public static final long POOL_GRANULE = 2L << 20;

  private final Libc libc = Libc.get();
  private final Object initLock = new Object();
  private volatile NativeMapping mapping;
  private volatile long base;
  private volatile long poolSize;
  private volatile long alignment = DEFAULT_ALIGNMENT;
  private volatile PagePath path;
  private volatile String initFailure;
  private volatile int dontForkErrno = -1;
  private volatile boolean closed;
  private final AtomicLong cursor = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong allocations = new AtomicLong();
  private final AtomicLong failedAllocations = new AtomicLong();

  /**
   * Maps the pool. Returns false, changing nothing, when the arena is already initialised, the
   * pool is 0, the alignment is not a power of two, rounding overflows or the mapping fails
   * ({@link #initFailure()} says which). Concurrent calls are serialised; at most one succeeds.
   *
   * @param poolBytes unsigned pool size, rounded up to {@link #POOL_GRANULE}
   * @param hugetlb the HugeTLB page size to map with (2 MiB or 1 GiB)
   * @param allowRegularPageFallback retry with regular (populated) pages when the HugeTLB mapping
   *     fails; false when hugepages were explicitly requested
   */
  public boolean initialize(long poolBytes, long alignment, PagePath hugetlb, boolean allowRegularPageFallback) {
    synchronized (initLock) {
      if (closed) throw new IllegalStateException("the arena is closed");
      if (mapping != null) return fail("the arena is already initialised");
      if (poolBytes == 0) return fail("pool size 0");
      if (alignment <= 0 || Long.bitCount(alignment) != 1) return fail("alignment " + alignment + " is not a power of two");
      if (!hugetlb.hugetlb()) throw new IllegalArgumentException("the arena maps HugeTLB pages first; got " + hugetlb);
      long pool = alignUpUnsigned(poolBytes, POOL_GRANULE);
      if (pool == 0) return fail("pool size " + Long.toUnsignedString(poolBytes) + " overflows when rounded up to 2 MiB");
      long mapLen = alignUpUnsigned(pool, hugetlb.pageBytes());
      if (mapLen == 0 || mapLen < 0) return fail("pool size " + Long.toUnsignedString(poolBytes) + " is too large to map");
      int prot = Libc.PROT_READ | Libc.PROT_WRITE;
      int flags = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE;
      int huge = hugetlb == PagePath.HUGETLB_1G ? Libc.MAP_HUGE_1GB : Libc.MAP_HUGE_2MB;
      Libc.Result r = libc.mmapAnonymous(mapLen, prot, flags | Libc.MAP_HUGETLB | huge);
      PagePath got = hugetlb;
      String hugeFailure = null;
      if (r.failed()) {
        hugeFailure = "HugeTLB mmap of " + mapLen + " B failed: " + libc.describe(r.errno());
        if (!allowRegularPageFallback) return fail(hugeFailure + " (hugepages were requested; no fallback)");
        mapLen = alignUpUnsigned(pool, libc.pageSize());
        r = libc.mmapAnonymous(mapLen, prot, flags);
        got = PagePath.REGULAR;
        if (r.failed()) return fail(hugeFailure + "; regular-page mmap failed too: " + libc.describe(r.errno()));
      }
      NativeMapping m = new NativeMapping(r.value(), mapLen, pool);
      // A fork must not copy-on-write a huge populated pool.
      Libc.Result adv = libc.madvise(m.address(), m.length(), Libc.MADV_DONTFORK);
      dontForkErrno = adv.failed() ? adv.errno() : 0;
      this.alignment = alignment;
      this.poolSize = pool;
      this.base = m.address();
      this.path = got;
      this.initFailure = hugeFailure == null ? null : hugeFailure + "; retried without huge pages";
      this.mapping = m;
      return true;
    }
  }

  /** {@link #initialize(long, long, PagePath, boolean)} with 64-byte alignment, 2 MiB pages and fallback. */
  public boolean initialize(long poolBytes) {
    return initialize(poolBytes, DEFAULT_ALIGNMENT, PagePath.HUGETLB_2M, true);
  }

  private boolean fail(String why) {
    initFailure = why;
    return false;
  }

  /** {@code allocate(size, 0)}: the arena's alignment. */
  public MemorySegment allocate(long size) {
    return allocate(size, 0);
  }

  /**
   * Reserves {@code size} bytes (unsigned) at an address aligned to max(arena alignment, {@code
   * alignment}).
   *
   * @return a slice of the pool, or null when the arena is not initialised, the size is 0, or the
   *     pool cannot hold it (counted as a failure)
   */
  public MemorySegment allocate(long size, long alignment) {
    if (closed) throw new IllegalStateException("the arena is closed");
    NativeMapping m = mapping;
    if (m == null || size == 0) return null;
    if (alignment < 0 || (alignment != 0 && Long.bitCount(alignment) != 1)) {
      throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
    }
    long align = Math.max(this.alignment, alignment);
    long pool = poolSize;
    while (true) {
      long cur = cursor.get();
      // Align the address, not just the offset: a regular-page pool starts only 4 KiB-aligned.
      long start = alignUpUnsigned(base + cur, align) - base;
      if (Long.compareUnsigned(size, pool) > 0 || start < cur || Long.compareUnsigned(start, pool - size) > 0) {
        failedAllocations.incrementAndGet();
        return null;
      }
      long next = start + size;
      if (cursor.compareAndSet(cur, next)) {
        allocations.incrementAndGet();
        peak.accumulateAndGet(next, Math::max);
        return m.segment().asSlice(start, size);
      }
    }
  }

  /** Whether the address lies in the pool: {@code base <= address < base + pool size}. */
  public boolean owns(long address) {
    NativeMapping m = mapping;
    return m != null && !closed && Long.compareUnsigned(address, base) >= 0
        && Long.compareUnsigned(address - base, poolSize) < 0;
  }

  public boolean owns(MemorySegment segment) {
    return segment != null && owns(segment.address());
  }

  public boolean initialized() {
    return mapping != null;
  }

  /** Why the last initialise returned false (or which fallback it took), or null. */
  public String initFailure() {
    return initFailure;
  }

  /** The pool's pages: HUGETLB_2M / HUGETLB_1G, or REGULAR after the fallback; null before init. */
  public PagePath path() {
    return path;
  }

  /** The whole pool; for tests and for registering it with a transport. */
  public MemorySegment pool() {
    NativeMapping m = mapping;
    return m == null ? null : m.segment();
  }

  /** Whether {@code madvise(MADV_DONTFORK)} on the pool succeeded (null before init). */
  public Boolean dontForkApplied() {
    return dontForkErrno < 0 ? null : dontForkErrno == 0;
  }

  public long poolSize() { return poolSize; }
  public long alignment() { return alignment; }
  public long reservedBytes() { return cursor.get(); }
  public long peakReservedBytes() { return peak.get(); }
  public long numAllocations() { return allocations.get(); }
  public long numFailedAllocs() { return failedAllocations.get(); }

  /** Mapped bytes held (0 before init and after close). */
  public long outstandingBytes() {
    NativeMapping m = mapping;
    return m == null || m.unmapped() ? 0 : m.length();
  }

  /** Unmaps the pool; idempotent. Slices handed out become unusable (IllegalStateException). */
  @Override public void close() {
    synchronized (initLock) {
      closed = true;
      NativeMapping m = mapping;
      if (m != null) m.unmap();
    }
  }

  /** Rounds up an unsigned value; 0 on overflow (callers never round 0). */
  static long alignUpUnsigned(long v, long align) {
    long r = v + (align - 1);
    if (Long.compareUnsigned(r, v) < 0) return 0;
    return r & -align;
  }
}
