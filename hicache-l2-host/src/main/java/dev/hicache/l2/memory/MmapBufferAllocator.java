package dev.hicache.l2.memory;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Mooncake's mmap-buffer path (docs/behaviour.md#mmap-arena): the buffers that Mooncake's client
 * allocates for its local buffer and global segments. Each allocation comes from the {@link
 * MmapArena} when the arena is enabled, else (or when the arena is exhausted) from a direct
 * mmap.
 *
 * <p>The arena is set up at the first allocation, from the variables as they are then; that one
 * attempt is final, so a failed set-up is never retried and later changes to the variables do not
 * matter. Explicit hugepages ({@code MC_STORE_USE_HUGEPAGE}) are strict on both paths: no
 * fallback to regular pages. Every event is counted (see the accessors) and warnings go to the
 * sink handed in, the first three of each repeated kind only.
 */
public final class MmapBufferAllocator implements AutoCloseable {
  static final String INIT_FAILED = "ARENA INITIALIZATION FAILED";
  static final String ENABLED = "ARENA ALLOCATOR ENABLED";
  static final String RETRYING = "retrying without huge pages";
  private static final int LOGGED_REPEATS = 3;

  /** Where the arena stands. */
  public enum ArenaState { NOT_ATTEMPTED, DISABLED, READY, FAILED }

  private final MemoryEnv env;
  private final boolean useArenaSwitch;
  private final Consumer<String> log;
  private final Libc libc = Libc.get();
  private final MmapArena arena = new MmapArena();
  private final Object initLock = new Object();
  private volatile ArenaState state = ArenaState.NOT_ATTEMPTED;
  private volatile boolean closed;
  private final Map<Long, NativeMapping> direct = new ConcurrentHashMap<>();

  private final AtomicLong arenaAllocations = new AtomicLong();
  private final AtomicLong arenaExhaustedFallbacks = new AtomicLong();
  private final AtomicLong directAllocations = new AtomicLong();
  private final AtomicLong directFrees = new AtomicLong();
  private final AtomicLong arenaFreeNoops = new AtomicLong();
  private final AtomicLong failedAllocations = new AtomicLong();
  private final AtomicLong outstandingDirectBytes = new AtomicLong();

  /**
   * @param env Mooncake's variables ({@code MC_MMAP_ARENA_POOL_SIZE}, {@code MC_DISABLE_MMAP_ARENA},
   *     {@code MC_STORE_USE_HUGEPAGE}, {@code MC_STORE_HUGEPAGE_SIZE})
   * @param useArenaSwitch Mooncake's {@code --use_mmap_arena_allocator}
   * @param log receives warnings and the arena's set-up lines
   */
  public MmapBufferAllocator(MemoryEnv env, boolean useArenaSwitch, Consumer<String> log) {
    this.env = env;
    this.useArenaSwitch = useArenaSwitch;
    this.log = log;
  }

  public MmapBufferAllocator(Map<String, String> env, Consumer<String> log) {
    this(new MemoryEnv(env), false, log);
  }

  /**
   * {@code size} bytes aligned to {@code alignment} (a power of two), or null when the memory
   * cannot be had on an allowed path (explicit hugepages unavailable, out of memory).
   */
  public MemorySegment allocate(long size, long alignment) {
    if (closed) throw new IllegalStateException("the mmap-buffer allocator is closed");
    if (size <= 0) throw new IllegalArgumentException("buffer size must be > 0 bytes, got " + size);
    if (alignment <= 0 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
    }
    if (ensureArena() == ArenaState.READY) {
      MemorySegment s = arena.allocate(size, alignment);
      if (s != null) {
        arenaAllocations.incrementAndGet();
        return s;
      }
      long n = arenaExhaustedFallbacks.incrementAndGet();
      if (n <= LOGGED_REPEATS) {
        log.accept("arena exhausted (" + arena.reservedBytes() + " of " + arena.poolSize() + " B reserved); "
            + size + " B falls back to a direct mmap");
      }
    }
    return directMmap(size, alignment);
  }

  /**
   * Releases a buffer: a direct mapping is unmapped; an arena buffer is not freed (the arena has
   * no individual frees), which is counted.
   *
   * @throws IllegalArgumentException for memory this allocator did not hand out
   */
  public void free(MemorySegment buffer) {
    if (buffer == null) return;
    if (arena.owns(buffer)) {
      long n = arenaFreeNoops.incrementAndGet();
      if (n <= LOGGED_REPEATS) log.accept("free of an arena buffer is a no-op; the arena is released as a whole");
      return;
    }
    NativeMapping m = direct.remove(buffer.address());
    if (m == null) {
      throw new IllegalArgumentException("0x" + Long.toHexString(buffer.address())
          + " was not allocated by this mmap-buffer allocator (or was freed already)");
    }
    if (m.unmap()) {
      outstandingDirectBytes.addAndGet(-m.length());
      directFrees.incrementAndGet();
    }
  }

  private ArenaState ensureArena() {
    ArenaState s = state;
    if (s != ArenaState.NOT_ATTEMPTED) return s;
    synchronized (initLock) {
      if (state != ArenaState.NOT_ATTEMPTED) return state;
      MemoryEnv.ArenaSettings settings = env.arena(useArenaSwitch, log);
      if (!settings.enabled()) {
        state = ArenaState.DISABLED;
        return state;
      }
      PagePath requested = env.requestedHugetlb(log);
      boolean strict = requested != null;
      PagePath pages = strict ? requested : PagePath.HUGETLB_2M;
      if (arena.initialize(settings.poolBytes(), MmapArena.DEFAULT_ALIGNMENT, pages, !strict)) {
        if (arena.initFailure() != null) log.accept(arena.initFailure().replace("retried without huge pages", RETRYING));
        log.accept(ENABLED + ": pool " + arena.poolSize() + " B on " + arena.path() + " (" + settings.reason() + ")");
        state = ArenaState.READY;
      } else {
        log.accept(INIT_FAILED + ": " + arena.initFailure());
        log.accept("the arena is only attempted once per process; every buffer now uses a direct mmap");
        state = ArenaState.FAILED;
      }
      return state;
    }
  }

  private MemorySegment directMmap(long size, long alignment) {
    PagePath requested = env.requestedHugetlb(log);
    long page = requested != null ? requested.pageBytes() : libc.pageSize();
    if (alignment > page) {
      log.accept("direct mmap cannot honour alignment " + alignment + " above the page size " + page);
    }
    long len = HostMemoryAllocator.roundUp(size, page);
    int flags = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_POPULATE;
    if (requested != null) {
      flags |= Libc.MAP_HUGETLB | (requested == PagePath.HUGETLB_1G ? Libc.MAP_HUGE_1GB : Libc.MAP_HUGE_2MB);
    }
    Libc.Result r = libc.mmapAnonymous(len, Libc.PROT_READ | Libc.PROT_WRITE, flags);
    if (r.failed()) {
      failedAllocations.incrementAndGet();
      log.accept("direct mmap of " + len + " B" + (requested != null ? " with " + HostMemoryAllocator.pageName(requested)
          + " hugepages" : "") + " failed: " + libc.describe(r.errno())
          + (requested != null ? "; " + MemoryEnv.USE_HUGEPAGE + " is set, so there is no regular-page fallback" : ""));
      return null;
    }
    NativeMapping m = new NativeMapping(r.value(), len, size);
    direct.put(m.address(), m);
    directAllocations.incrementAndGet();
    outstandingDirectBytes.addAndGet(len);
    return m.segment();
  }

  /**
   * Faults in a lazily mapped HugeTLB segment before it is registered with a transport, as
   * Mooncake does for RDMA: one zero write at the start of every {@code pageBytes} stride, spread
   * over up to {@code maxThreads} threads (Mooncake uses at most 16). The segment must be freshly
   * mapped: the first byte of every page is overwritten with 0.
   */
  public static void touchPages(MemorySegment segment, long pageBytes, int maxThreads) {
    if (pageBytes <= 0) throw new IllegalArgumentException("page stride must be > 0, got " + pageBytes);
    long pages = Math.ceilDiv(segment.byteSize(), pageBytes);
    int threads = (int) Math.max(1, Math.min(Math.min(maxThreads, 16), pages));
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      long from = pages * t / threads;
      long to = pages * (t + 1) / threads;
      ts[t] = Thread.ofPlatform().name("hugepage-touch-" + t).start(() -> {
        for (long p = from; p < to; p++) segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, p * pageBytes, (byte) 0);
      });
    }
    for (Thread t : ts) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while touching hugepages", e);
      }
    }
  }

  public ArenaState arenaState() { return state; }
  /** The arena itself, for its statistics. */
  public MmapArena arena() { return arena; }
  public long arenaAllocations() { return arenaAllocations.get(); }
  /** Allocations that found the arena full and took a direct mmap instead. */
  public long arenaExhaustedFallbacks() { return arenaExhaustedFallbacks.get(); }
  public long directAllocations() { return directAllocations.get(); }
  public long directFrees() { return directFrees.get(); }
  /** Frees of arena buffers, which release nothing. */
  public long arenaFreeNoops() { return arenaFreeNoops.get(); }
  public long failedAllocations() { return failedAllocations.get(); }

  /** Bytes held: the arena's mapping plus every direct mapping not freed. */
  public long outstandingBytes() {
    return arena.outstandingBytes() + outstandingDirectBytes.get();
  }

  /** Unmaps the arena and every direct mapping still held; idempotent. */
  @Override public void close() {
    synchronized (initLock) {
      if (closed) return;
      closed = true;
      for (Long a : direct.keySet()) {
        NativeMapping m = direct.remove(a);
        if (m != null && m.unmap()) outstandingDirectBytes.addAndGet(-m.length());
      }
      arena.close();
    }
  }
}
