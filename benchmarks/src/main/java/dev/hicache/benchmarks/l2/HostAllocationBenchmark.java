package dev.hicache.benchmarks.l2;

import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemory;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.memory.PagePath;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one host buffer costs on each page path when it is mapped directly: allocate and close
 * (mmap, optional prefault, munmap). {@link ArenaAllocationBenchmark} measures Mooncake's arena,
 * the alternative, for the same sizes. HugeTLB paths need reserved pages: pass {@code -p
 * path=HUGETLB_2M} only where {@code HugePages_Free} covers the size, or the setup fails that
 * parameter.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HostAllocationBenchmark {
  /** REGULAR, TRANSPARENT_HUGEPAGE, HUGETLB_2M, HUGETLB_1G. */
  @Param({"REGULAR", "TRANSPARENT_HUGEPAGE"})
  public String path;

  /** Prefault every page before returning (what DMA needs), or map lazily. */
  @Param({"false", "true"})
  public boolean populate;

  @Param({"65536", "2097152"})
  public long bytes;

  HostMemoryAllocator allocator;
  AllocationOptions options;

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
}
