package dev.hicache.l2.memory;

import dev.hicache.l2.memory.AllocationOptions.LockMode;
import dev.hicache.l2.memory.AllocationReport.Attempt;
import dev.hicache.l2.memory.AllocationReport.Outcome;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Maps host memory on the best path the machine allows and says which path it took and why the
 * others failed.
 *
 * <p>Policy, unless the caller names paths: when {@code MC_STORE_USE_HUGEPAGE} is present the
 * allocation uses explicit HugeTLB pages of {@code MC_STORE_HUGEPAGE_SIZE} and nothing else
 * (Mooncake's strict mode: a failure fails). Otherwise it tries HugeTLB 1 GiB, HugeTLB 2 MiB,
 * transparent hugepages, then regular pages. A HugeTLB size is skipped when rounding the request
 * up to its pages would waste more than an eighth of it, and THP is skipped for requests below one
 * huge page or when the kernel has THP off.
 *
 * <p>Accounting: {@link #outstandingBytes()} is the sum of mapped bytes not yet closed.
 */
public final class HostMemoryAllocator {
  private static final long THP_BYTES = 2L << 20;

  private final MemoryEnv env;
  private final KernelFacts kernel;
  private final Consumer<String> warnings;
  private final Libc libc = Libc.get();
  private final AtomicLong outstandingBytes = new AtomicLong();
  private final AtomicLong outstandingMappings = new AtomicLong();
  private final AtomicLong fallbacks = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final Map<PagePath, AtomicLong> byPath = new EnumMap<>(PagePath.class);

  /**
   * @param env Mooncake's variables
   * @param kernel where THP mode and HugeTLB counts are read
   * @param warnings receives warnings about the variables (invalid hugepage size, ...)
   */
  public HostMemoryAllocator(MemoryEnv env, KernelFacts kernel, Consumer<String> warnings) {
    this.env = env;
    this.kernel = kernel;
    this.warnings = warnings;
    for (PagePath p : PagePath.values()) byPath.put(p, new AtomicLong());
  }

  /** The process environment and this machine's kernel; warnings go to the system logger. */
  public static HostMemoryAllocator system() {
    System.Logger log = System.getLogger(HostMemoryAllocator.class.getName());
    return new HostMemoryAllocator(MemoryEnv.system(), KernelFacts.system(),
        w -> log.log(System.Logger.Level.WARNING, w));
  }

  /**
   * Maps {@code bytes} bytes.
   *
   * @throws HostMemoryException when no allowed path could map them; its report says why each failed
   */
  public HostMemory allocate(long bytes, AllocationOptions options) {
    if (bytes <= 0) throw new IllegalArgumentException("allocation size must be > 0 bytes, got " + bytes);
    libc.requireSupported();
    List<Attempt> attempts = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<PagePath> plan = plan(bytes, options, attempts);
    boolean strict = options.paths() == null && env.useHugepage();
    for (PagePath path : plan) {
      NativeMapping m = tryMap(path, bytes, options, attempts);
      if (m == null) continue;
      if (options.lock() != LockMode.NONE) {
        Libc.Result r = libc.mlock(m.address(), m.length());
        if (r.failed()) {
          String why = "mlock of " + m.length() + " B failed: " + libc.describe(r.errno())
              + (r.errno() == Libc.ENOMEM || r.errno() == Libc.EPERM ? " (see ulimit -l / RLIMIT_MEMLOCK)" : "");
          if (options.lock() == LockMode.REQUIRED) {
            m.unmap();
            attempts.set(attempts.size() - 1, new Attempt(path, Outcome.FAILED, why));
            failures.incrementAndGet();
            throw new HostMemoryException("locking the memory was required",
                new AllocationReport(bytes, 0, null, attempts, notes));
          }
          notes.add(why);
        }
      }
      if (options.dontFork()) {
        Libc.Result r = libc.madvise(m.address(), m.length(), Libc.MADV_DONTFORK);
        if (r.failed()) notes.add("madvise(MADV_DONTFORK) failed: " + libc.describe(r.errno()));
      }
      AllocationReport report = new AllocationReport(bytes, m.length(), path, inPathOrder(attempts, options), notes);
      outstandingBytes.addAndGet(m.length());
      outstandingMappings.incrementAndGet();
      byPath.get(path).incrementAndGet();
      if (report.fellBack()) fallbacks.incrementAndGet();
      return new HostMemory(m, report, this);
    }
    failures.incrementAndGet();
    AllocationReport report = new AllocationReport(bytes, 0, null, inPathOrder(attempts, options), notes);
    throw new HostMemoryException(strict
        ? MemoryEnv.USE_HUGEPAGE + " is set, so HugeTLB pages are required and nothing falls back to regular pages"
        : "no page path could map " + bytes + " bytes", report);
  }

  /** The policy's paths are in enum order; skips were recorded while planning, so re-sort. */
  private static List<Attempt> inPathOrder(List<Attempt> attempts, AllocationOptions options) {
    if (options.paths() != null) return attempts;
    List<Attempt> sorted = new ArrayList<>(attempts);
    sorted.sort(java.util.Comparator.comparingInt(a -> a.path().ordinal()));
    return sorted;
  }

  /** The paths to try, in order; skipped ones are recorded in {@code attempts}. */
  private List<PagePath> plan(long bytes, AllocationOptions options, List<Attempt> attempts) {
    if (options.paths() != null) return options.paths();
    if (env.useHugepage()) return List.of(env.requestedHugetlb(warnings));
    List<PagePath> plan = new ArrayList<>();
    for (PagePath p : List.of(PagePath.HUGETLB_1G, PagePath.HUGETLB_2M)) {
      long waste = roundUp(bytes, p.pageBytes()) - bytes;
      if (waste > bytes / 8) {
        attempts.add(new Attempt(p, Outcome.SKIPPED, "rounding " + bytes + " B up to " + pageName(p)
            + " pages would waste " + waste + " B (more than 1/8 of the request)"));
      } else {
        plan.add(p);
      }
    }
    String thp = kernel.thpMode();
    if (bytes < THP_BYTES) {
      attempts.add(new Attempt(PagePath.TRANSPARENT_HUGEPAGE, Outcome.SKIPPED, "smaller than one 2 MiB huge page"));
    } else if (thp == null) {
      attempts.add(new Attempt(PagePath.TRANSPARENT_HUGEPAGE, Outcome.SKIPPED,
          "the kernel has no transparent hugepages (no " + kernel.root().resolve("sys/kernel/mm/transparent_hugepage/enabled") + ")"));
    } else if (thp.equals("never")) {
      attempts.add(new Attempt(PagePath.TRANSPARENT_HUGEPAGE, Outcome.SKIPPED, "transparent hugepages are disabled ([never])"));
    } else {
      plan.add(PagePath.TRANSPARENT_HUGEPAGE);
    }
    plan.add(PagePath.REGULAR);
    return plan;
  }

  private NativeMapping tryMap(PagePath path, long bytes, AllocationOptions o, List<Attempt> attempts) {
    int prot = Libc.PROT_READ | Libc.PROT_WRITE;
    int base = Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS;
    switch (path) {
      case HUGETLB_1G, HUGETLB_2M -> {
        long len = roundUp(bytes, path.pageBytes());
        int flags = base | Libc.MAP_HUGETLB | (path == PagePath.HUGETLB_1G ? Libc.MAP_HUGE_1GB : Libc.MAP_HUGE_2MB)
            | (o.populate() ? Libc.MAP_POPULATE : 0);
        Libc.Result r = libc.mmapAnonymous(len, prot, flags);
        if (r.failed()) {
          OptionalLong free = kernel.freeHugepages(path.pageBytes());
          attempts.add(new Attempt(path, Outcome.FAILED, "mmap(MAP_HUGETLB, " + len + " B) failed: " + libc.describe(r.errno())
              + "; " + (len / path.pageBytes()) + " pages needed, "
              + (free.isPresent() ? free.getAsLong() + " free" : "free count unknown")));
          return null;
        }
        attempts.add(new Attempt(path, Outcome.CHOSEN, ""));
        return new NativeMapping(r.value(), len, bytes);
      }
      case TRANSPARENT_HUGEPAGE -> {
        long len = roundUp(bytes, libc.pageSize());
        // Over-map by one huge page and trim, so the range starts on a 2 MiB boundary where the
        // kernel can place huge pages from the first byte.
        Libc.Result r = libc.mmapAnonymous(len + THP_BYTES, prot, base);
        if (r.failed()) {
          attempts.add(new Attempt(path, Outcome.FAILED, "mmap(" + (len + THP_BYTES) + " B) failed: " + libc.describe(r.errno())));
          return null;
        }
        long start = roundUp(r.value(), THP_BYTES);
        long head = start - r.value();
        long tail = THP_BYTES - head;
        if (head > 0) libc.munmap(r.value(), head);
        if (tail > 0) libc.munmap(start + len, tail);
        Libc.Result adv = libc.madvise(start, len, Libc.MADV_HUGEPAGE);
        if (adv.failed()) {
          libc.munmap(start, len);
          attempts.add(new Attempt(path, Outcome.FAILED, "madvise(MADV_HUGEPAGE) failed: " + libc.describe(adv.errno())));
          return null;
        }
        if (o.populate()) populate(start, len);
        attempts.add(new Attempt(path, Outcome.CHOSEN, "THP mode " + kernel.thpMode()));
        return new NativeMapping(start, len, bytes);
      }
      case REGULAR -> {
        long len = roundUp(bytes, libc.pageSize());
        Libc.Result r = libc.mmapAnonymous(len, prot, base | (o.populate() ? Libc.MAP_POPULATE : 0));
        if (r.failed()) {
          attempts.add(new Attempt(path, Outcome.FAILED, "mmap(" + len + " B) failed: " + libc.describe(r.errno())));
          return null;
        }
        attempts.add(new Attempt(path, Outcome.CHOSEN, ""));
        return new NativeMapping(r.value(), len, bytes);
      }
      default -> throw new AssertionError(path);
    }
  }

  /** Prefaults after MADV_HUGEPAGE, so the faults can take huge pages (MAP_POPULATE would not). */
  private void populate(long start, long len) {
    Libc.Result r = libc.madvise(start, len, Libc.MADV_POPULATE_WRITE);
    if (!r.failed()) return;
    // Kernels before 5.14 lack MADV_POPULATE_WRITE: write one byte per base page instead. The
    // mapping is fresh and private, so writing zero changes nothing but residency.
    MemorySegment s = MemorySegment.ofAddress(start).reinterpret(len);
    for (long off = 0; off < len; off += libc.pageSize()) s.set(ValueLayout.JAVA_BYTE, off, (byte) 0);
  }

  void released(long mappedBytes) {
    outstandingBytes.addAndGet(-mappedBytes);
    outstandingMappings.decrementAndGet();
  }

  /** Mapped bytes of every {@link HostMemory} from here that is not closed. */
  public long outstandingBytes() {
    return outstandingBytes.get();
  }

  public long outstandingMappings() {
    return outstandingMappings.get();
  }

  /** Successful allocations that took this path. */
  public long allocations(PagePath path) {
    return byPath.get(path).get();
  }

  /** Successful allocations that did not get the first path considered. */
  public long fallbacks() {
    return fallbacks.get();
  }

  /** Allocations that failed on every path. */
  public long failures() {
    return failures.get();
  }

  public MemoryEnv env() {
    return env;
  }

  public KernelFacts kernel() {
    return kernel;
  }

  static long roundUp(long v, long granule) {
    return Math.ceilDiv(v, granule) * granule;
  }

  static String pageName(PagePath p) {
    return p == PagePath.HUGETLB_1G ? "1 GiB" : p == PagePath.HUGETLB_2M ? "2 MiB" : p.pageBytes() + " B";
  }
}
