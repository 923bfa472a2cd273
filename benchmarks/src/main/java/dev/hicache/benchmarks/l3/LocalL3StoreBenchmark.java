package dev.hicache.benchmarks.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The embedded L3 (hicache-l3-local) on SGLang's largest batch: 128 pages of 64 KiB (a K and a V
 * part of 32 KiB each, 8 MiB a batch), from and into native memory as the host pool would pass.
 *
 * <p>Same-run baselines: {@code baselineCopy} moves the same 8 MiB with {@link
 * MemorySegment#copy} (256 part copies, what any store must at least do), and {@code
 * baselineCopyAndCrc32c} adds one CRC32C pass over the bytes. The store's cost over them is its
 * index (Chronicle Map), its second checksum pass, its slot bookkeeping and Caffeine.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar l3.LocalL3StoreBenchmark}. The fork
 * gets Chronicle Map's Java 25 flags (and analytics off) from the jar's entry point, {@code
 * BenchmarksMain}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LocalL3StoreBenchmark {
  static final int PAGES = L3Store.MAX_BATCH_PAGES;
  static final int PART = 32 * 1024;

  Path dir;
  Arena arena;
  LocalL3Store store;
  List<PageKey> stored = new ArrayList<>();
  List<PageKey> fresh = new ArrayList<>();
  List<MemorySegment[]> sources = new ArrayList<>();
  List<MemorySegment[]> targets = new ArrayList<>();

  @Setup
  public void setup() throws IOException {
    dir = Files.createTempDirectory("hicache-l3-bench");
    arena = Arena.ofShared();
    // 4 batches' worth of slots: the stored batch, the batch written by batchSet, and room.
    store = LocalL3Store.open(LocalL3Config.of(dir, 4L * PAGES * (2 * PART + 4096), 2L * PART, 2));
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < PAGES; i++) {
      stored.add(key(r));
      fresh.add(key(r));
      MemorySegment[] src = {arena.allocate(PART, 64), arena.allocate(PART, 64)};
      for (MemorySegment s : src) {
        byte[] b = new byte[PART];
        r.nextBytes(b);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, 0, PART);
      }
      sources.add(src);
      targets.add(new MemorySegment[] {arena.allocate(PART, 64), arena.allocate(PART, 64)});
    }
    boolean[] ok = store.batchSet(stored, sources);
    for (boolean b : ok) if (!b) throw new IllegalStateException("setup: a page was not stored");
  }

  private static PageKey key(SplittableRandom r) {
    byte[] d = new byte[PageKey.BYTES];
    r.nextBytes(d);
    return PageKey.ofDigest(d);
  }

  @Setup(Level.Invocation)
  public void removeFresh() {
    for (PageKey k : fresh) store.remove(k);
  }

  @TearDown
  public void tearDown() throws IOException {
    store.close();
    arena.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  @Benchmark
  public boolean[] batchGet() {
    boolean[] ok = store.batchGet(stored, targets);
    if (!ok[PAGES - 1]) throw new IllegalStateException("a stored page was not read");
    return ok;
  }

  /** Writes 128 pages that are absent (removed before each call, outside the timing). */
  @Benchmark
  public boolean[] batchSet() {
    return store.batchSet(fresh, sources);
  }

  /** A batchSet of pages all present: the deduplication path (no bytes move). */
  @Benchmark
  public boolean[] batchSetPresent() {
    return store.batchSet(stored, sources);
  }

  @Benchmark
  public int batchExists() {
    return store.batchExists(stored);
  }

  @Benchmark
  public MemorySegment baselineCopy() {
    for (int i = 0; i < PAGES; i++) {
      MemorySegment[] s = sources.get(i), t = targets.get(i);
      MemorySegment.copy(s[0], 0, t[0], 0, PART);
      MemorySegment.copy(s[1], 0, t[1], 0, PART);
    }
    return targets.get(PAGES - 1)[1];
  }

  @Benchmark
  public long baselineCopyAndCrc32c() {
    long sum = 0;
    for (int i = 0; i < PAGES; i++) {
      MemorySegment[] s = sources.get(i), t = targets.get(i);
      CRC32C c = new CRC32C();
      c.update(s[0].asByteBuffer());
      c.update(s[1].asByteBuffer());
      MemorySegment.copy(s[0], 0, t[0], 0, PART);
      MemorySegment.copy(s[1], 0, t[1], 0, PART);
      sum += c.getValue();
    }
    return sum;
  }
}
