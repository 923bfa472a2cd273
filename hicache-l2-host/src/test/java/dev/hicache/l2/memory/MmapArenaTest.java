package dev.hicache.l2.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The assertions of Mooncake's mmap_arena_test.cpp (docs/behaviour.md#mmap-arena), against our arena. */
class MmapArenaTest {
  private static final long MIB = 1L << 20;
  private final List<MmapArena> arenas = new ArrayList<>();

  private MmapArena arena() {
    MmapArena a = new MmapArena();
    arenas.add(a);
    return a;
  }

  @AfterEach
  void closeAll() {
    arenas.forEach(MmapArena::close);
  }

  private static void runThreads(int n, Runnable body) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        body.run();
      }));
    }
    start.countDown();
    for (Thread t : ts) t.join();
  }

  // ---- basics

  @Test
  void initialize_roundsPoolTo2MiB_withZeroStatistics() {
    MmapArena a = arena();
    assertThat(a.initialize(MIB)).isTrue();
    assertThat(a.poolSize()).isEqualTo(2 * MIB);
    assertThat(a.reservedBytes()).isZero();
    assertThat(a.peakReservedBytes()).isZero();
    assertThat(a.numAllocations()).isZero();
    assertThat(a.numFailedAllocs()).isZero();
  }

  @Test
  void allocate1024_reservesBetween1024And1088() {
    MmapArena a = arena();
    a.initialize(MIB);
    assertThat(a.allocate(1024)).isNotNull();
    assertThat(a.reservedBytes()).isBetween(1024L, 1088L);
    assertThat(a.numAllocations()).isEqualTo(1);
  }

  @Test
  void smallSizes_come64Aligned_andWritable() {
    MmapArena a = arena();
    a.initialize(MIB);
    for (long size : new long[] {1, 63, 64, 65, 100, 1000}) {
      MemorySegment s = a.allocate(size);
      assertThat(s.address() % 64).as("size %d", size).isZero();
      for (long i = 0; i < size; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) i);
      assertThat(s.get(ValueLayout.JAVA_BYTE, size - 1)).isEqualTo((byte) (size - 1));
    }
  }

  @Test
  void allocateZero_isNull_andNotCounted() {
    MmapArena a = arena();
    a.initialize(MIB);
    assertThat(a.allocate(0)).isNull();
    assertThat(a.numAllocations()).isZero();
    assertThat(a.numFailedAllocs()).isZero();
  }

  @Test
  void allocateBeforeInitialize_isNull() {
    assertThat(arena().allocate(64)).isNull();
  }

  @Test
  void secondInitialize_isFalse_andTheArenaKeepsWorking() {
    MmapArena a = arena();
    assertThat(a.initialize(MIB)).isTrue();
    assertThat(a.initialize(4 * MIB)).isFalse();
    assertThat(a.poolSize()).isEqualTo(2 * MIB);
    assertThat(a.allocate(128)).isNotNull();
  }

  // ---- exhaustion

  @Test
  void tinyPool_filledWith64ByteAllocations_failsAndNeverPassesTheEnd() {
    MmapArena a = arena();
    a.initialize(1024);
    long attempts = a.poolSize() / 64 + 100;
    for (long i = 0; i < attempts; i++) a.allocate(64);
    assertThat(a.reservedBytes()).isLessThanOrEqualTo(a.poolSize());
    assertThat(a.numFailedAllocs()).isPositive();
    assertThat(a.allocate(64)).isNull();
    assertThat(a.allocate(1)).isNull();
    assertThat(a.reservedBytes()).isLessThanOrEqualTo(a.poolSize());
  }

  @Test
  void sixteenThreadsOverAllocating_accountForEveryAttempt() throws InterruptedException {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    int perThread = 300; // 16 × 300 × 1 KiB = 4.7 MiB asked of 2 MiB
    runThreads(16, () -> {
      for (int i = 0; i < perThread; i++) {
        if (a.allocate(1024) != null) ok.incrementAndGet();
        else failed.incrementAndGet();
      }
    });
    assertThat(ok.get() + failed.get()).isEqualTo(16L * perThread);
    assertThat(ok.get()).isPositive();
    assertThat(failed.get()).isPositive();
    assertThat(a.numAllocations()).isEqualTo(ok.get());
    assertThat(a.numFailedAllocs()).isEqualTo(failed.get());
    assertThat(a.reservedBytes()).isLessThanOrEqualTo(a.poolSize());
  }

  @Test
  void pool4096_roundsTo2MiB_andEndsWithFailures() {
    MmapArena a = arena();
    a.initialize(4096);
    assertThat(a.poolSize()).isEqualTo(2 * MIB);
    while (a.allocate(4096) != null) {
      // fill
    }
    assertThat(a.numFailedAllocs()).isPositive();
  }

  @Test
  void pool16MiB_holdsExactly16MiB() {
    MmapArena a = arena();
    a.initialize(16 * MIB);
    assertThat(a.allocate(16 * MIB)).isNotNull();
    assertThat(a.allocate(1024)).isNull();
  }

  // ---- overflow

  @Test
  void sizeMaxAndNeighbours_failOnceEach_reservingNothing() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    long[] sizes = {-1L /* SIZE_MAX */, -11L /* SIZE_MAX - 10 */, Long.MAX_VALUE /* SIZE_MAX / 2 */};
    for (int i = 0; i < sizes.length; i++) {
      assertThat(a.allocate(sizes[i])).isNull();
      assertThat(a.numFailedAllocs()).isEqualTo(i + 1);
      assertThat(a.reservedBytes()).isZero();
    }
  }

  // ---- ownership

  @Test
  void owns_exactlyThePool() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    MemorySegment s = a.allocate(256);
    assertThat(a.owns(s)).isTrue();
    assertThat(a.owns((MemorySegment) null)).isFalse();
    assertThat(a.owns(0L)).isFalse();
    try (Arena confined = Arena.ofConfined()) {
      assertThat(a.owns(confined.allocate(16))).isFalse();
    }
    long base = a.pool().address();
    assertThat(a.owns(base)).isTrue();
    assertThat(a.owns(base + 100)).isTrue();
    assertThat(a.owns(base + a.poolSize())).isFalse();
    assertThat(a.owns(base - 1)).isFalse();
  }

  // ---- concurrency

  @Test
  void sixteenThreadsRacingToInitialise_exactlyOneWins() throws InterruptedException {
    MmapArena a = arena();
    AtomicInteger wins = new AtomicInteger();
    runThreads(16, () -> {
      if (a.initialize(2 * MIB)) wins.incrementAndGet();
    });
    assertThat(wins.get()).isEqualTo(1);
  }

  @Test
  void concurrentInitialiseThenAllocate_givesNoDuplicates() throws InterruptedException {
    MmapArena a = arena();
    Set<Long> addresses = ConcurrentHashMap.newKeySet();
    AtomicInteger count = new AtomicInteger();
    runThreads(8, () -> {
      a.initialize(8 * MIB);
      for (int i = 0; i < 100; i++) {
        MemorySegment s = a.allocate(512);
        if (s != null) {
          addresses.add(s.address());
          count.incrementAndGet();
        }
      }
    });
    assertThat(addresses).hasSize(count.get());
    assertThat(count.get()).isEqualTo(800);
  }

  @Test
  void eightThreadsTimes1000_allUnique_reservedWithinPoolUnderLoad() throws InterruptedException {
    MmapArena a = arena();
    a.initialize(64 * MIB);
    Set<Long> addresses = ConcurrentHashMap.newKeySet();
    AtomicInteger violations = new AtomicInteger();
    Thread sampler = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < 2000; i++) {
        if (a.reservedBytes() > a.poolSize()) violations.incrementAndGet();
        Thread.onSpinWait();
      }
    });
    runThreads(8, () -> {
      for (int i = 0; i < 1000; i++) addresses.add(a.allocate(1024).address());
    });
    sampler.join();
    assertThat(addresses).hasSize(8000);
    assertThat(violations.get()).isZero();
    assertThat(a.peakReservedBytes()).isGreaterThanOrEqualTo(a.reservedBytes());
  }

  @Test
  void sixteenThreadsInitialisingWith4MiBAnd128_allocationsAre128Aligned() throws InterruptedException {
    MmapArena a = arena();
    runThreads(16, () -> a.initialize(4 * MIB, 128, PagePath.HUGETLB_2M, true));
    assertThat(a.poolSize()).isEqualTo(4 * MIB);
    for (int i = 0; i < 50; i++) assertThat(a.allocate(256).address() % 128).isZero();
  }

  // ---- alignment and accounting

  @Test
  void mixedSizes_are64AlignedAndOwned() {
    MmapArena a = arena();
    a.initialize(64 * MIB);
    for (long size = 1; size <= 65536; size = size * 3 + 1) {
      MemorySegment s = a.allocate(size);
      assertThat(s.address() % 64).isZero();
      assertThat(a.owns(s)).isTrue();
    }
  }

  @Test
  void peakAndReserved_growAndNeverDecrease() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    a.allocate(512);
    assertThat(a.peakReservedBytes()).isGreaterThanOrEqualTo(512);
    a.allocate(1024);
    assertThat(a.peakReservedBytes()).isGreaterThanOrEqualTo(1536);
    long last = a.reservedBytes();
    for (int i = 0; i < 100; i++) {
      a.allocate(i * 7 + 1);
      assertThat(a.reservedBytes()).isGreaterThanOrEqualTo(last);
      last = a.reservedBytes();
    }
  }

  @Test
  void perCallAlignment_2MiB_isHonouredAboveTheFirstAllocation() {
    MmapArena a = arena();
    a.initialize(8 * MIB);
    MemorySegment first = a.allocate(1, 64);
    MemorySegment big = a.allocate(4 * MIB, 2 * MIB);
    assertThat(big).isNotNull();
    assertThat(big.address() % (2 * MIB)).isZero();
    assertThat(big.address()).isGreaterThan(first.address());
  }

  @Test
  void initialise_rejectsZeroPoolAndNonPowerOfTwoAlignment_honoursPowersOfTwo() {
    assertThat(arena().initialize(0)).isFalse();
    assertThat(arena().initialize(2 * MIB, 100, PagePath.HUGETLB_2M, true)).isFalse();
    for (long align : new long[] {64, 128, 256, 512, 4096}) {
      MmapArena a = arena();
      assertThat(a.initialize(2 * MIB, align, PagePath.HUGETLB_2M, true)).isTrue();
      a.allocate(1);
      assertThat(a.allocate(10).address() % align).as("alignment %d", align).isZero();
    }
  }

  // ---- physical backing

  @Test
  void pool_isPopulatedRightAfterInitialise() {
    MmapArena a = arena();
    a.initialize(16 * MIB);
    long pages = a.poolSize() / Libc.get().pageSize();
    long resident = Libc.get().residentPages(a.pool().address(), a.poolSize());
    if (resident < 0) {
      // Residency cannot be queried: read every page instead (each read must succeed).
      for (long off = 0; off < a.poolSize(); off += Libc.get().pageSize()) a.pool().get(ValueLayout.JAVA_BYTE, off);
    } else {
      assertThat(resident).isGreaterThan(pages * 95 / 100);
    }
  }

  @Test
  void buffers_holdTheirPatterns_andDoNotOverlap() {
    MmapArena a = arena();
    a.initialize(16 * MIB);
    MemorySegment first = a.allocate(4 * MIB);
    for (long i = 0; i < first.byteSize(); i += 8) first.set(ValueLayout.JAVA_LONG, i, i ^ 0x5a5a5a5aL);
    MemorySegment second = a.allocate(4 * MIB);
    second.fill((byte) 0xff);
    for (long i = 0; i < first.byteSize(); i += 8) assertThat(first.get(ValueLayout.JAVA_LONG, i)).isEqualTo(i ^ 0x5a5a5a5aL);
  }

  @Test
  void oneMiBInTwoMiBPool_isReadableAtItsEdges() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    MemorySegment s = a.allocate(MIB);
    s.get(ValueLayout.JAVA_BYTE, 0);
    s.get(ValueLayout.JAVA_BYTE, 512 * 1024);
    s.get(ValueLayout.JAVA_BYTE, MIB - 1);
  }

  @Test
  void dontFork_isAppliedToThePool() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    assertThat(a.dontForkApplied()).isTrue();
  }

  // ---- ours: closing returns the pool

  @Test
  void close_unmaps_andUseAfterCloseIsAnError() {
    MmapArena a = arena();
    a.initialize(2 * MIB);
    MemorySegment s = a.allocate(64);
    assertThat(a.outstandingBytes()).isEqualTo(2 * MIB);
    a.close();
    a.close();
    assertThat(a.outstandingBytes()).isZero();
    assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> a.allocate(64)).isInstanceOf(IllegalStateException.class);
    assertThat(a.owns(s)).isFalse();
  }

  @Test
  void regularPageFallback_isReportedAndHugetlbStrictFails() {
    long free = KernelFixture.freeHugepages(PagePath.HUGETLB_2M);
    HostMemoryAllocatorTest.skipUnless(free == 0, "2 MiB hugepages are free here; the fallback cannot be shown");
    MmapArena a = arena();
    assertThat(a.initialize(2 * MIB)).isTrue();
    assertThat(a.path()).isEqualTo(PagePath.REGULAR);
    assertThat(a.initFailure()).contains("HugeTLB mmap").contains("retried without huge pages");
    MmapArena strict = arena();
    assertThat(strict.initialize(2 * MIB, 64, PagePath.HUGETLB_2M, false)).isFalse();
    assertThat(strict.initFailure()).contains("no fallback");
    assertThat(strict.initialized()).isFalse();
  }

  @Test
  void addresses_neverRepeat_acrossManyAllocations() {
    MmapArena a = arena();
    a.initialize(4 * MIB);
    Set<Long> seen = new HashSet<>();
    MemorySegment s;
    while ((s = a.allocate(100)) != null) assertThat(seen.add(s.address())).isTrue();
  }
}
