package dev.hicache.l2.memory;

/** The ways host memory can be backed, in the order the allocator prefers them. */
public enum PagePath {
  /** Explicit HugeTLB pages of 1 GiB ({@code MAP_HUGETLB | MAP_HUGE_1GB}). */
  HUGETLB_1G(1L << 30),
  /** Explicit HugeTLB pages of 2 MiB ({@code MAP_HUGETLB | MAP_HUGE_2MB}). */
  HUGETLB_2M(2L << 20),
  /** Regular pages advised to the kernel's transparent hugepages ({@code madvise(MADV_HUGEPAGE)}). */
  TRANSPARENT_HUGEPAGE(2L << 20),
  /** Regular base pages. */
  REGULAR(4096);

  private final long pageBytes;

  PagePath(long pageBytes) {
    this.pageBytes = pageBytes;
  }

  /**
   * The granule this path maps in: the HugeTLB page size, the THP alignment (2 MiB), or the base
   * page (4 KiB; see {@link Libc#pageSize()} for this machine's).
   */
  public long pageBytes() {
    return pageBytes;
  }

  public boolean hugetlb() {
    return this == HUGETLB_1G || this == HUGETLB_2M;
  }

  /** The HugeTLB path for a page size of exactly 2 MiB or 1 GiB. */
  public static PagePath hugetlbOf(long pageBytes) {
    if (pageBytes == HUGETLB_2M.pageBytes) return HUGETLB_2M;
    if (pageBytes == HUGETLB_1G.pageBytes) return HUGETLB_1G;
    throw new IllegalArgumentException("HugeTLB pages are 2 MiB or 1 GiB, not " + pageBytes + " bytes");
  }
}
