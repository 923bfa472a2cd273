package dev.hicache.l2.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hicache.l2.memory.AllocationOptions.LockMode;
import dev.hicache.l2.memory.AllocationReport.Outcome;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostMemoryAllocatorTest {
  private final List<String> warnings = new ArrayList<>();

  private HostMemoryAllocator allocator(Map<String, String> env, KernelFacts kernel) {
    return new HostMemoryAllocator(new MemoryEnv(env), kernel, warnings::add);
  }

  private static void fillAndCheck(MemorySegment s) {
    long n = s.byteSize();
    for (long off = 0; off + 8 <= n; off += 4096) s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, off * 31 + 7);
    s.set(ValueLayout.JAVA_BYTE, n - 1, (byte) 0x5a);
    for (long off = 0; off + 8 <= n; off += 4096) assertThat(s.get(ValueLayout.JAVA_LONG_UNALIGNED, off)).isEqualTo(off * 31 + 7);
    assertThat(s.get(ValueLayout.JAVA_BYTE, n - 1)).isEqualTo((byte) 0x5a);
  }

  @Test
  void regularPath_mapsRoundedUp_accountsAndReleasesOnce() {
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    HostMemory m = a.allocate(10_000, AllocationOptions.only(PagePath.REGULAR));
    long page = Libc.get().pageSize();
    assertThat(m.path()).isEqualTo(PagePath.REGULAR);
    assertThat(m.segment().byteSize()).isEqualTo(10_000);
    assertThat(m.mappedBytes()).isEqualTo(Math.ceilDiv(10_000, page) * page);
    assertThat(m.address() % page).isZero();
    assertThat(a.outstandingBytes()).isEqualTo(m.mappedBytes());
    assertThat(a.outstandingMappings()).isEqualTo(1);
    assertThat(a.allocations(PagePath.REGULAR)).isEqualTo(1);
    fillAndCheck(m.segment());
    MemorySegment view = m.segment().asSlice(100, 100);
    m.close();
    assertThat(a.outstandingBytes()).isZero();
    assertThat(m.mappedBytes()).isZero();
    m.close(); // harmless
    assertThat(a.outstandingBytes()).isZero();
    assertThat(a.outstandingMappings()).isZero();
    assertThatThrownBy(() -> m.segment().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void populate_makesEveryPageResident() {
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    long bytes = 4L << 20;
    try (HostMemory m = a.allocate(bytes, AllocationOptions.only(PagePath.REGULAR).withPopulate(true))) {
      long pages = bytes / Libc.get().pageSize();
      assertThat(Libc.get().residentPages(m.address(), bytes)).isEqualTo(pages);
    }
    try (HostMemory lazy = a.allocate(bytes, AllocationOptions.only(PagePath.REGULAR))) {
      assertThat(Libc.get().residentPages(lazy.address(), bytes)).isLessThan(bytes / Libc.get().pageSize());
    }
  }

  @Test
  void smallRequest_defaultPolicy_skipsHugePathsWithReasons_andFallsBackToRegular() {
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    try (HostMemory m = a.allocate(64 << 10, AllocationOptions.defaults())) {
      AllocationReport r = m.report();
      assertThat(r.chosen()).isEqualTo(PagePath.REGULAR);
      assertThat(r.attempts()).extracting(AllocationReport.Attempt::path).containsExactly(PagePath.HUGETLB_1G,
          PagePath.HUGETLB_2M, PagePath.TRANSPARENT_HUGEPAGE, PagePath.REGULAR);
      assertThat(r.attempts().get(0).outcome()).isEqualTo(Outcome.SKIPPED);
      assertThat(r.attempts().get(0).detail()).contains("would waste");
      assertThat(r.attempts().get(2).detail()).contains("smaller than one 2 MiB huge page");
      assertThat(r.fellBack()).isTrue();
      assertThat(a.fallbacks()).isEqualTo(1);
      assertThat(r.describe()).contains("REGULAR");
    }
  }

  @Test
  void noHugepagesReserved_hugetlbFailsWithErrno_thpDisabledIsSkipped_regularWins(@TempDir Path dir) {
    assumeNoHugepages();
    HostMemoryAllocator a = allocator(Map.of(), KernelFixture.fakeKernel(dir, "always madvise [never]"));
    try (HostMemory m = a.allocate(64L << 20, AllocationOptions.defaults())) {
      AllocationReport r = m.report();
      assertThat(r.chosen()).isEqualTo(PagePath.REGULAR);
      AllocationReport.Attempt twoMb = r.attempts().get(1);
      assertThat(twoMb.path()).isEqualTo(PagePath.HUGETLB_2M);
      assertThat(twoMb.outcome()).isEqualTo(Outcome.FAILED);
      assertThat(twoMb.detail()).contains("mmap(MAP_HUGETLB").containsPattern("E[A-Z]+ \\(");
      assertThat(r.attempts().get(2).outcome()).isEqualTo(Outcome.SKIPPED);
      assertThat(r.attempts().get(2).detail()).contains("disabled");
    }
  }

  @Test
  void kernelWithoutThp_isSkippedAndSaysSo(@TempDir Path dir) {
    HostMemoryAllocator a = allocator(Map.of(), KernelFixture.fakeKernel(dir, null));
    try (HostMemory m = a.allocate(8L << 20, AllocationOptions.only(PagePath.REGULAR))) {
      assertThat(m.path()).isEqualTo(PagePath.REGULAR);
    }
    try (HostMemory m = a.allocate(4L << 20, new AllocationOptions(null, false, LockMode.NONE, false))) {
      AllocationReport.Attempt thp = m.report().attempts().stream()
          .filter(t -> t.path() == PagePath.TRANSPARENT_HUGEPAGE).findFirst().orElseThrow();
      assertThat(thp.outcome()).isEqualTo(Outcome.SKIPPED);
      assertThat(thp.detail()).contains("no transparent hugepages");
    }
  }

  @Test
  void transparentHugepages_onThisKernel_mapAligned_andPopulate() {
    String mode = KernelFacts.system().thpMode();
    assumeTrue(mode != null && !mode.equals("never"), "this kernel has transparent hugepages off: " + mode);
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    long bytes = 6L << 20;
    try (HostMemory m = a.allocate(bytes, AllocationOptions.only(PagePath.TRANSPARENT_HUGEPAGE).withPopulate(true))) {
      assertThat(m.path()).isEqualTo(PagePath.TRANSPARENT_HUGEPAGE);
      assertThat(m.address() % (2L << 20)).isZero();
      assertThat(Libc.get().residentPages(m.address(), bytes)).isEqualTo(bytes / Libc.get().pageSize());
      fillAndCheck(m.segment());
    }
    assertThat(a.outstandingBytes()).isZero();
  }

  @Test
  void strictHugepages_withNoneReserved_failsWithoutFallback() {
    assumeNoHugepages();
    HostMemoryAllocator a = allocator(Map.of("MC_STORE_USE_HUGEPAGE", "0"), KernelFacts.system());
    assertThatThrownBy(() -> a.allocate(64L << 20, AllocationOptions.defaults()))
        .isInstanceOfSatisfying(HostMemoryException.class, e -> {
          assertThat(e.getMessage()).contains("MC_STORE_USE_HUGEPAGE").contains("nothing falls back");
          assertThat(e.report().attempts()).hasSize(1);
          assertThat(e.report().attempts().getFirst().path()).isEqualTo(PagePath.HUGETLB_2M);
          assertThat(e.report().attempts().getFirst().outcome()).isEqualTo(Outcome.FAILED);
          assertThat(e.report().succeeded()).isFalse();
        });
    assertThat(a.failures()).isEqualTo(1);
    assertThat(a.outstandingBytes()).isZero();
  }

  @Test
  void strictHugepages_1GiBSizeFromEnvironment_isTheOnlyPath() {
    assumeTrue(KernelFixture.freeHugepages(PagePath.HUGETLB_1G) == 0, "1 GiB hugepages are free here");
    HostMemoryAllocator a = allocator(Map.of("MC_STORE_USE_HUGEPAGE", "1", "MC_STORE_HUGEPAGE_SIZE", "1GB"),
        KernelFacts.system());
    assertThatThrownBy(() -> a.allocate(1L << 30, AllocationOptions.defaults()))
        .isInstanceOfSatisfying(HostMemoryException.class,
            e -> assertThat(e.report().attempts()).extracting(AllocationReport.Attempt::path).containsExactly(PagePath.HUGETLB_1G));
  }

  /** Runs where the machine has free 2 MiB HugeTLB pages (e.g. after sysctl -w vm.nr_hugepages=N). */
  @Test
  void hugetlb2M_whereReserved_backsTheMappingWithHugepages() {
    long free = KernelFixture.freeHugepages(PagePath.HUGETLB_2M);
    skipUnless(free >= 2, "no free 2 MiB HugeTLB pages on this machine (HugePages_Free=" + free
        + "); reserve some with sysctl -w vm.nr_hugepages=8 to run this test");
    HostMemoryAllocator a = allocator(Map.of("MC_STORE_USE_HUGEPAGE", "1"), KernelFacts.system());
    try (HostMemory m = a.allocate(3L << 20, AllocationOptions.defaults().withPopulate(true))) {
      assertThat(m.path()).isEqualTo(PagePath.HUGETLB_2M);
      assertThat(m.mappedBytes()).isEqualTo(4L << 20);
      assertThat(m.address() % (2L << 20)).isZero();
      assertThat(KernelFixture.freeHugepages(PagePath.HUGETLB_2M)).isEqualTo(free - 2);
      fillAndCheck(m.segment());
    }
    assertThat(KernelFixture.freeHugepages(PagePath.HUGETLB_2M)).isEqualTo(free);
  }

  /** Runs where the machine has a free 1 GiB HugeTLB page. */
  @Test
  void hugetlb1G_whereReserved_backsTheMappingWithHugepages() {
    long free = KernelFixture.freeHugepages(PagePath.HUGETLB_1G);
    skipUnless(free >= 1, "no free 1 GiB HugeTLB pages on this machine (free_hugepages=" + free + ")");
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    try (HostMemory m = a.allocate(1L << 30, AllocationOptions.defaults().withPopulate(true))) {
      assertThat(m.path()).isEqualTo(PagePath.HUGETLB_1G);
      assertThat(m.report().fellBack()).isFalse();
      assertThat(m.address() % (1L << 30)).isZero();
      fillAndCheck(m.segment());
    }
  }

  @Test
  void lockAndDontFork_bestEffort_neverFailTheAllocation() {
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    try (HostMemory m = a.allocate(1L << 20,
        AllocationOptions.only(PagePath.REGULAR).withLock(LockMode.BEST_EFFORT).withDontFork(true))) {
      assertThat(m.report().warnings()).allMatch(w -> w.contains("mlock"));
      fillAndCheck(m.segment());
    }
  }

  @Test
  void badSizes_areRejected() {
    HostMemoryAllocator a = allocator(Map.of(), KernelFacts.system());
    assertThatThrownBy(() -> a.allocate(0, AllocationOptions.defaults())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("> 0");
    assertThatThrownBy(() -> AllocationOptions.only()).isInstanceOf(IllegalArgumentException.class);
  }

  static void assumeNoHugepages() {
    long free = KernelFixture.freeHugepages(PagePath.HUGETLB_2M) + KernelFixture.freeHugepages(PagePath.HUGETLB_1G);
    skipUnless(free == 0, "this machine has free HugeTLB pages, so the no-hugepage failure path cannot be shown");
  }

  static void skipUnless(boolean condition, String reason) {
    if (!condition) System.out.println("SKIPPED: " + reason);
    assumeTrue(condition, reason);
  }
}
