package dev.hicache.benchmarks.mooncake;

import dev.hicache.l3.mooncake.MooncakeStore;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency distribution (median, p99) of single 4 KiB puts and gets through {@link MooncakeStore},
 * one thread, against the same-run baseline: the same C calls through bare downcalls whose
 * arguments were marshalled once in setup. JMH's sample-time mode times every call, so the tails
 * of both show.
 *
 * <ul>
 *   <li>{@code get}: {@code get_into} of one of {@value #KEYS} stored 4 KiB objects (in turn) into
 *       registered memory.
 *   <li>{@code put}: {@code put_from} of a 4 KiB value under a key that is absent, then {@code
 *       remove} of it (not forced: a put grants no lease), so that the store does not grow.
 * </ul>
 *
 * <p>Store: {@link MooncakeBenchmarkStore} (the C test double by default; a real one through the
 * {@code MOONCAKE_*} variables). Run with {@code java -cp benchmarks.jar
 * dev.hicache.benchmarks.mooncake.MooncakeLatencyBenchmark}; figures and machine in
 * docs/benchmarks.md. Its baseline runs in other forks than the binding, at other times: for a
 * paired comparison see {@link MooncakePairedLatencyBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MooncakeLatencyBenchmark {
  static final int KEYS = MooncakeLatencyFixture.KEYS;
  static final long VALUE = MooncakeLatencyFixture.VALUE;

  MooncakeLatencyFixture f;
  int nextGet, nextPut;

  /** As JMH's main, but exits non-zero when a benchmark fails. */
  public static void main(String[] args) throws Exception {
    MooncakeBenchmarkStore.runFailingOnError(MooncakeLatencyBenchmark.class, args);
  }

  @Setup
  public void setUp() {
    f = new MooncakeLatencyFixture();
  }

  @TearDown
  public void tearDown() {
    f.close();
  }

  @Benchmark
  public long get() {
    int i = nextGet++ & (KEYS - 1);
    return f.client.getInto(f.getKeys[i], f.target);
  }

  @Benchmark
  public long getBaselineDowncall() {
    int i = nextGet++ & (KEYS - 1);
    return f.lib.getInto(f.handle, f.rawGetKeys[i], f.target, VALUE);
  }

  @Benchmark
  public boolean put() {
    int i = nextPut++ & (KEYS - 1);
    f.client.putFrom(f.putKeys[i], f.value, null);
    return f.client.remove(f.putKeys[i], false);
  }

  @Benchmark
  public int putBaselineDowncall() {
    int i = nextPut++ & (KEYS - 1);
    int rc = f.lib.putFrom(f.handle, f.rawPutKeys[i], f.value, VALUE, MemorySegment.NULL);
    return rc | f.lib.remove(f.handle, f.rawPutKeys[i], 0);
  }
}
