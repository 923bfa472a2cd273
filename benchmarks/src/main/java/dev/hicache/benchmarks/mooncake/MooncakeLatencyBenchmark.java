package dev.hicache.benchmarks.mooncake;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.hicache.l3.mooncake.MooncakeStore;
import dev.hicache.l3.mooncake.StoreCLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
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
 * docs/benchmarks.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MooncakeLatencyBenchmark {
  static final int KEYS = 256;
  static final long VALUE = 4096;

  Arena arena;
  StoreCLibrary lib;
  MooncakeStore client;
  MemorySegment handle;
  MemorySegment value, target;
  String[] getKeys, putKeys;
  MemorySegment[] rawGetKeys, rawPutKeys;
  int nextGet, nextPut;

  /** As JMH's main, but exits non-zero when a benchmark fails. */
  public static void main(String[] args) throws Exception {
    MooncakeBenchmarkStore.runFailingOnError(MooncakeLatencyBenchmark.class, args);
  }

  @Setup
  public void setUp() {
    lib = MooncakeBenchmarkStore.library();
    arena = Arena.ofShared();
    client = MooncakeBenchmarkStore.client(lib, 256L << 20);
    handle = MooncakeBenchmarkStore.rawHandle(lib, arena);
    MemorySegment region = arena.allocate(2 * VALUE, 4096);
    value = region.asSlice(0, VALUE);
    target = region.asSlice(VALUE, VALUE);
    var rnd = new SplittableRandom(5);
    for (long o = 0; o < VALUE; o += 8) value.set(JAVA_LONG, o, rnd.nextLong());
    client.registerBuffer(region);
    if (lib.registerBuffer(handle, region, region.byteSize()) != 0) throw new IllegalStateException("raw register failed");
    String run = Long.toHexString(rnd.nextLong());
    getKeys = new String[KEYS];
    putKeys = new String[KEYS];
    rawGetKeys = new MemorySegment[KEYS];
    rawPutKeys = new MemorySegment[KEYS];
    for (int i = 0; i < KEYS; i++) {
      // SGLang-shaped object keys: 64 hex digits, the TP rank, the part.
      getKeys[i] = String.format("%064x_0_k", (long) i * 7919 + 1).replace(' ', '0') + run;
      putKeys[i] = String.format("%064x_0_v", (long) i * 104729 + 3).replace(' ', '0') + run;
      rawGetKeys[i] = arena.allocateFrom(getKeys[i]);
      rawPutKeys[i] = arena.allocateFrom(putKeys[i]);
      client.putFrom(getKeys[i], value, null);
    }
    if (client.getInto(getKeys[0], target) != VALUE || target.mismatch(value) != -1) {
      throw new IllegalStateException("the benchmark objects did not read back");
    }
  }

  @TearDown
  public void tearDown() {
    for (String k : getKeys) client.remove(k, true);
    lib.destroy(handle);
    client.close();
    arena.close();
  }

  @Benchmark
  public long get() {
    int i = nextGet++ & (KEYS - 1);
    return client.getInto(getKeys[i], target);
  }

  @Benchmark
  public long getBaselineDowncall() {
    int i = nextGet++ & (KEYS - 1);
    return lib.getInto(handle, rawGetKeys[i], target, VALUE);
  }

  @Benchmark
  public boolean put() {
    int i = nextPut++ & (KEYS - 1);
    client.putFrom(putKeys[i], value, null);
    return client.remove(putKeys[i], false);
  }

  @Benchmark
  public int putBaselineDowncall() {
    int i = nextPut++ & (KEYS - 1);
    int rc = lib.putFrom(handle, rawPutKeys[i], value, VALUE, MemorySegment.NULL);
    return rc | lib.remove(handle, rawPutKeys[i], 0);
  }
}
