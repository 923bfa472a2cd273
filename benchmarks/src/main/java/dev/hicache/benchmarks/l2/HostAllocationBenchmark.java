package dev.hicache.benchmarks.l2;

import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemory;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.memory.MmapArena;
import dev.hicache.l2.memory.PagePath;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one host buffer costs on each page path: a direct mapping (allocate and close: mmap,
 * optional prefault, munmap) against Mooncake's arena (a bump of a pre-populated pool), the same
 * size in the same run. HugeTLB paths need reserved pages: pass {@code -p path=HUGETLB_2M} only
 * where {@code HugePages_Free} covers the size, or the setup fails that parameter.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HostAllocationBenchmark {
  private static final int ARENA_BATCH = 1024;

  /** REGULAR, TRANSPARENT_HUGEPAGE, HUGETLB_2M, HUGETLB_1G. */
  @Param({"REGULAR", "TRANSPARENT_HUGEPAGE"})
  public String path;

  /** Prefault every page before returning (what DMA needs), or map lazily. */
  @Param({"false", "true"})
  public boolean populate;

  @Param({"2097152"})
  public long bytes;

  HostMemoryAllocator allocator;
  AllocationOptions options;
  MmapArena arena;

  @Setup
  public void setUp() {
    allocator = new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), w -> { });
    options = AllocationOptions.only(PagePath.valueOf(path)).withPopulate(populate);
    try (HostMemory probe = allocator.allocate(bytes, options)) {
      System.err.println("[l2] " + probe.report().describe());
    }
  }

  /** A direct mapping on the chosen path, allocated and released. */
  @Benchmark
  public void directMapAndUnmap(Blackhole bh) {
    try (HostMemory m = allocator.allocate(bytes, options)) {
      bh.consume(m.address());
    }
  }

  /** A fresh populated arena for every batch (mapping it is setup, not measured). */
  @Setup(Level.Invocation)
  public void freshArena() {
    if (arena != null) arena.close();
    arena = new MmapArena();
    if (!arena.initialize(bytes * ARENA_BATCH)) throw new IllegalStateException(arena.initFailure());
  }

  @TearDown
  public void tearDown() {
    if (arena != null) arena.close();
  }

  /** Mooncake's arena: a bump of the cursor in an already populated pool (no free exists). */
  @Benchmark
  @OperationsPerInvocation(ARENA_BATCH)
  public void arenaBump(Blackhole bh) {
    for (int i = 0; i < ARENA_BATCH; i++) {
      MemorySegment s = arena.allocate(bytes);
      bh.consume(s);
    }
  }
}
