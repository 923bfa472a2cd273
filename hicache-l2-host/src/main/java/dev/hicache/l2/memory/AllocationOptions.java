package dev.hicache.l2.memory;

import java.util.List;

/**
 * How to back one allocation.
 *
 * @param paths the paths to try, in order; null means the allocator's policy (Mooncake's strict
 *     HugeTLB when {@code MC_STORE_USE_HUGEPAGE} is set, else 1 GiB, 2 MiB, THP, regular)
 * @param populate prefault every page now ({@code MAP_POPULATE}, or {@code MADV_POPULATE_WRITE}
 *     for THP), so that DMA never meets a lazy fault
 * @param lock {@code mlock} the range, keeping it out of swap
 * @param dontFork {@code madvise(MADV_DONTFORK)}, so a forked child does not copy the mapping
 */
public record AllocationOptions(List<PagePath> paths, boolean populate, LockMode lock, boolean dontFork) {

  /** What to do about {@code mlock}. */
  public enum LockMode {
    NONE,
    /** Try; a failure (often RLIMIT_MEMLOCK) is a warning in the report. */
    BEST_EFFORT,
    /** Try; a failure fails the allocation. */
    REQUIRED
  }

  public AllocationOptions {
    if (paths != null) {
      if (paths.isEmpty()) throw new IllegalArgumentException("at least one page path is needed");
      paths = List.copyOf(paths);
    }
    if (lock == null) lock = LockMode.NONE;
  }

  /** The policy's paths, not populated, not locked. */
  public static AllocationOptions defaults() {
    return new AllocationOptions(null, false, LockMode.NONE, false);
  }

  /** Exactly these paths, in this order. */
  public static AllocationOptions only(PagePath... paths) {
    return new AllocationOptions(List.of(paths), false, LockMode.NONE, false);
  }

  public AllocationOptions withPopulate(boolean v) {
    return new AllocationOptions(paths, v, lock, dontFork);
  }

  public AllocationOptions withLock(LockMode v) {
    return new AllocationOptions(paths, populate, v, dontFork);
  }

  public AllocationOptions withDontFork(boolean v) {
    return new AllocationOptions(paths, populate, lock, v);
  }
}
