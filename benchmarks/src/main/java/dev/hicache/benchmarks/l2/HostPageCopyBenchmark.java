package dev.hicache.benchmarks.l2;

import dev.hicache.api.DType;
import dev.hicache.api.KvShape;
import dev.hicache.api.MemLayout;
import dev.hicache.l2.memory.AllocationOptions;
import dev.hicache.l2.memory.HostMemory;
import dev.hicache.l2.memory.HostMemoryAllocator;
import dev.hicache.l2.memory.KernelFacts;
import dev.hicache.l2.memory.MemoryEnv;
import dev.hicache.l2.pool.HostKvPool;
import java.lang.foreign.MemorySegment;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * Host-to-host page copies: {@link HostKvPool#readPage} (gather one page of the pool into a flat
 * page, what generic L3 backends do) and {@link HostKvPool#writePage} (scatter it back), against a
 * plain {@link MemorySegment#copy} of the same number of contiguous bytes between the same kind of
 * memory, in the same run. The pool cycles through its pages so that most copies miss the caches.
 *
 * <p>Shape: 8 layers × 8 KV heads × head dim 128, bf16, 64-token pages: a 2 MiB MHA page (K and
 * V), 64 pages per pool.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HostPageCopyBenchmark {
  @Param({"layer_first", "page_first", "page_first_direct"})
  public String layout;

  static final int PAGES = 64;

  HostMemoryAllocator allocator;
  HostKvPool pool;
  HostMemory flatPages;
  HostMemory baselineSource;
  MemorySegment flats;
  MemorySegment source;
  long pageBytes;
  int pageSize;
  int next;

  @Setup
  public void setUp() {
    allocator = new HostMemoryAllocator(new MemoryEnv(Map.of()), KernelFacts.system(), w -> { });
    KvShape shape = KvShape.mha(8, 8, 128, DType.BF16, 64);
    AllocationOptions opts = AllocationOptions.defaults().withPopulate(true);
    pool = HostKvPool.create(shape, MemLayout.parse(layout), PAGES * shape.pageSize(), allocator, opts, List.of());
    pool.alloc(pool.capacityTokens());
    pageSize = shape.pageSize();
    pageBytes = pool.pageBytes();
    // Flat pages and the baseline's source: the same bytes, in memory mapped the same way.
    flatPages = allocator.allocate(PAGES * pageBytes, opts);
    baselineSource = allocator.allocate(PAGES * pageBytes, opts);
    flats = flatPages.segment();
    source = baselineSource.segment();
    flats.fill((byte) 1);
    source.fill((byte) 2);
    pool.buffer().fill((byte) 3);
    System.err.println("[l2] page " + pageBytes + " B; pool " + pool.allocationReport().describe());
  }

  @TearDown
  public void tearDown() {
    pool.close();
    flatPages.close();
    baselineSource.close();
  }

  private int nextPage() {
    int p = next;
    next = (p + 7) % PAGES; // stride through pages, never the one just touched
    return p;
  }

  @Benchmark
  public void readPage() {
    int p = nextPage();
    pool.readPage(p * pageSize, flats.asSlice(p * pageBytes, pageBytes));
  }

  @Benchmark
  public void writePage() {
    int p = nextPage();
    pool.writePage(p * pageSize, flats.asSlice(p * pageBytes, pageBytes));
  }

  /** Baseline: one contiguous copy of a page's bytes. */
  @Benchmark
  public void baselineSegmentCopy() {
    int p = nextPage();
    MemorySegment.copy(source, p * pageBytes, flats, p * pageBytes, pageBytes);
  }
}
