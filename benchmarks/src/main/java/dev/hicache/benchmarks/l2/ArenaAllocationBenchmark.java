package dev.hicache.benchmarks.l2;

import dev.hicache.l2.memory.MmapArena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Mooncake's arena: one allocation is a bump of the cursor in a pool populated at set-up. An arena
 * has no free, so a steady-state loop would exhaust it; each measured iteration is one shot of
 * {@link #BATCH} allocations from a fresh pool of exactly that many buffers (mapping the pool is
 * set-up, not measured). The score is the time of the whole batch: divide by {@value #BATCH} for
 * one allocation. Compare with {@link HostAllocationBenchmark} (direct mmap) at the same size.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, batchSize = ArenaAllocationBenchmark.BATCH)
@Measurement(iterations = 30, batchSize = ArenaAllocationBenchmark.BATCH)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ArenaAllocationBenchmark {
  public static final int BATCH = 2048;

  /** 64 KiB: a 128 MiB pool per iteration; larger sizes need a machine with memory to spare. */
  @Param({"65536"})
  public long bytes;

  MmapArena arena;

  @Setup(Level.Iteration)
  public void freshArena() {
    if (arena != null) arena.close();
    arena = new MmapArena();
    if (!arena.initialize(bytes * BATCH)) throw new IllegalStateException(arena.initFailure());
  }

  @TearDown
  public void tearDown() {
    arena.close();
  }

  @Benchmark
  public Object arenaBump() {
    return arena.allocate(bytes);
  }
}
