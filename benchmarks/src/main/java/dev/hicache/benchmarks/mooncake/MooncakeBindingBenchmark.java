package dev.hicache.benchmarks.mooncake;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.mooncake.MooncakeL3Store;
import dev.hicache.l3.mooncake.MooncakeStore;
import dev.hicache.l3.mooncake.StoreCLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Per-call overhead of the Mooncake binding, measured against the C test double of store_c.h (an
 * in-memory store whose batch_get_into is a memcpy under a lock), for SGLang's largest batch: 128
 * MHA pages of 2 MiB (a K and a V object of 1 MiB each, 256 objects, 256 MiB).
 *
 * <p>Same-run baselines: {@code rawDowncall*} call the double's C function through a bare
 * downcall with arrays marshalled once in setup (so what remains is the C call itself), and {@code
 * baselineSegmentCopy} moves the same 256 MiB with {@link MemorySegment#copy}. The binding's cost
 * is {@code l3BatchGet} − {@code rawDowncallBatchGetInto}; {@code batchExists} shows it where no
 * bytes move.
 *
 * <p>Run: build the double ({@code ./mvnw -pl hicache-l3-mooncake -am test-compile}), then {@code
 * MOONCAKE_STORE_LIBRARY=hicache-l3-mooncake/target/native/libmooncake_store_double.so java -cp
 * benchmarks/target/benchmarks.jar dev.hicache.benchmarks.mooncake.MooncakeBindingBenchmark} (exits
 * non-zero if a benchmark fails; with JMH's own main, pass {@code -foe true}). Against a real store,
 * set {@code MOONCAKE_MASTER} and the other {@code MOONCAKE_*} variables ({@link
 * MooncakeBenchmarkStore}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MooncakeBindingBenchmark {
  static final int PAGES = L3Store.MAX_BATCH_PAGES;
  static final long PART = 1L << 20; // K or V of a 2 MiB MHA page

  Arena arena;
  MooncakeStore client;
  MooncakeL3Store l3Uncached, l3Cached;
  StoreCLibrary lib;
  MemorySegment handle;
  List<PageKey> keys;
  List<MemorySegment[]> targets;
  String[] objectKeys;
  MemorySegment[] targetParts;
  MemorySegment source, target;
  // Pre-marshalled arguments for the raw downcalls.
  MemorySegment rawKeys, rawBuffers, rawSizes, rawResults64, rawResults32;

  /** As JMH's main, but exits non-zero when a benchmark fails (for example, no master answers). */
  public static void main(String[] args) throws Exception {
    MooncakeBenchmarkStore.runFailingOnError(MooncakeBindingBenchmark.class, args);
  }

  @Setup
  public void setUp() throws Exception {
    lib = MooncakeBenchmarkStore.library();
    arena = Arena.ofShared();
    client = MooncakeBenchmarkStore.client(lib, 1L << 30);
    // The L2 host pool: sources and targets of 128 pages, registered once.
    source = arena.allocate(PAGES * 2 * PART, 4096);
    target = arena.allocate(PAGES * 2 * PART, 4096);
    var rnd = new SplittableRandom(1);
    for (long o = 0; o < source.byteSize(); o += 8) source.set(JAVA_LONG, o, rnd.nextLong());
    client.registerBuffer(source);
    client.registerBuffer(target);

    var opts = MooncakeL3Store.Options.sglang(false, 0, 1);
    l3Uncached = new MooncakeL3Store(client, false, opts.withExistenceTtl(Duration.ZERO), null);
    l3Cached = new MooncakeL3Store(client, false, opts.withExistenceTtl(Duration.ofHours(1)), null);
    keys = new ArrayList<>();
    List<MemorySegment[]> sources = new ArrayList<>();
    targets = new ArrayList<>();
    for (int p = 0; p < PAGES; p++) {
      byte[] d = new byte[PageKey.BYTES];
      rnd.nextBytes(d);
      keys.add(PageKey.ofDigest(d));
      sources.add(new MemorySegment[] {source.asSlice((2L * p) * PART, PART), source.asSlice((2L * p + 1) * PART, PART)});
      targets.add(new MemorySegment[] {target.asSlice((2L * p) * PART, PART), target.asSlice((2L * p + 1) * PART, PART)});
    }
    boolean[] stored = l3Uncached.batchSet(keys, sources);
    for (boolean b : stored) if (!b) throw new IllegalStateException("could not store the benchmark pages");

    objectKeys = new String[2 * PAGES];
    targetParts = new MemorySegment[2 * PAGES];
    rawKeys = arena.allocate(ADDRESS, 2L * PAGES);
    rawBuffers = arena.allocate(ADDRESS, 2L * PAGES);
    rawSizes = arena.allocate(JAVA_LONG, 2L * PAGES);
    rawResults64 = arena.allocate(JAVA_LONG, 2L * PAGES);
    rawResults32 = arena.allocate(JAVA_INT, 2L * PAGES);
    for (int p = 0; p < PAGES; p++) {
      for (int j = 0; j < 2; j++) {
        int i = 2 * p + j;
        objectKeys[i] = l3Uncached.objectKeys().key(keys.get(p), j);
        targetParts[i] = targets.get(p)[j];
        rawKeys.setAtIndex(ADDRESS, i, arena.allocateFrom(objectKeys[i]));
        rawBuffers.setAtIndex(ADDRESS, i, targetParts[i]);
        rawSizes.setAtIndex(JAVA_LONG, i, PART);
      }
    }
    // The raw downcalls need the C handle; reach it through a store created for them alone.
    handle = MooncakeBenchmarkStore.rawHandle(lib, arena);
    if (lib.registerBuffer(handle, target, target.byteSize()) != 0) {
      throw new IllegalStateException("raw register_buffer failed");
    }
    if (rawDowncallBatchGetInto() != 0 || rawResults64.getAtIndex(JAVA_LONG, 0) != PART) {
      throw new IllegalStateException("raw batch_get_into did not read the pages");
    }
    if (target.mismatch(source) != -1) throw new IllegalStateException("the pages did not round-trip");
  }

  @TearDown
  public void tearDown() {
    lib.destroy(handle);
    client.close();
    arena.close();
  }

  // ---- 128 pages × 2 MiB: the bytes move ----------------------------------------------------------

  /** The whole L3 path: page keys to object keys, checks, marshalling, the C call, per-page results. */
  @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public boolean[] l3BatchGet() {
    return l3Uncached.batchGet(keys, targets);
  }

  /** The binding with object keys already formatted. */
  @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long[] bindingBatchGetInto() {
    return client.batchGetInto(objectKeys, targetParts);
  }

  /** Baseline: the double's batch_get_into through a bare downcall, arguments marshalled in setup. */
  @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int rawDowncallBatchGetInto() {
    return lib.batchGetInto(handle, rawKeys, rawBuffers, rawSizes, 2L * PAGES, rawResults64);
  }

  /** Baseline: the same 256 MiB moved by MemorySegment.copy, 1 MiB per object. */
  @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public MemorySegment baselineSegmentCopy() {
    for (int i = 0; i < 2 * PAGES; i++) MemorySegment.copy(source, i * PART, target, i * PART, PART);
    return target;
  }

  // ---- 128 pages, existence only: no bytes move ---------------------------------------------------

  /** batch_is_exist on 256 object keys through the L3 store, existence cache off. */
  @Benchmark @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int l3BatchExistsUncached() {
    return l3Uncached.batchExists(keys);
  }

  /** The same answer from the existence cache (what repeated prefetch queries cost). */
  @Benchmark @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int l3BatchExistsCached() {
    return l3Cached.batchExists(keys);
  }

  /** Baseline: the double's batch_is_exist through a bare downcall, keys marshalled in setup. */
  @Benchmark @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int rawDowncallBatchIsExist() {
    return lib.batchIsExist(handle, rawKeys, 2L * PAGES, rawResults32);
  }
}
