package dev.hicache.benchmarks.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import dev.hicache.simulator.l3.MemoryL3Store;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * L3 stores as the simulator's main job uses them: metadata-only pages (a stub of 8 + 16 bytes in 2
 * parts, as {@code L3PageIo} writes without a host pool), a store of 468,750 pages (30 M tokens at
 * 64 tokens a page) kept full, so every write of a new page evicts one.
 *
 * <p>Stores ({@code store}): {@code memory} — the simulator's in-memory LRU model ({@link
 * MemoryL3Store}), the same-run baseline; {@code private-lru} and {@code private-wtinylfu} — the
 * embedded store's process-private mode (heap index, anonymous slab) with each eviction policy;
 * {@code persistent} — the embedded store's shared, persistent mode (Chronicle Map index, mapped
 * slab file in a temp folder; W-TinyLFU).
 *
 * <p>Operations, each one call: {@code exists} — batchExists of 64 keys whose leading 48 are present
 * (49 lookups); {@code get} — batchGet of 16 present pages; {@code setEvicting} — batchSet of 16 new
 * pages into the full store; {@code requestMix} — what a request does: batchExists of a 16-page
 * leading run (17 lookups), batchGet of 4 of them, batchSet of 20 new pages.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar l3.L3StubStoreBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx3g", "-XX:+UseSerialGC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class L3StubStoreBenchmark {
  static final int PAGES = 468_750; // 30 M tokens / 64
  static final long DATA_BYTES = 8, TRAILER_BYTES = 16;
  static final int HOT = 4096;
  static final int FRESH = 1 << 21;

  @Param({"memory", "private-lru", "private-wtinylfu", "persistent"})
  public String store;

  Path dir;
  Arena arena;
  L3Store l3;
  List<PageKey> present = new ArrayList<>(); // keys present after the fill, the first HOT used by the mix
  PageKey[] fresh = new PageKey[FRESH];
  List<MemorySegment[]> sources = new ArrayList<>();
  List<MemorySegment[]> targets = new ArrayList<>();
  int freshAt, existsAt, getAt;
  List<PageKey> existsKeys = new ArrayList<>(64);
  List<PageKey> batch = new ArrayList<>(64);

  @Setup
  public void setup() throws IOException {
    long slot = LocalL3Config.processPrivate(1L << 20, DATA_BYTES + TRAILER_BYTES, 2).slotBytes();
    l3 = switch (store) {
      case "memory" -> new MemoryL3Store(PAGES);
      case "private-lru" -> LocalL3Store.open(LocalL3Config.processPrivate(PAGES * slot, DATA_BYTES + TRAILER_BYTES, 2,
          LocalL3Config.Eviction.LRU));
      case "private-wtinylfu" -> LocalL3Store.open(LocalL3Config.processPrivate(PAGES * slot, DATA_BYTES + TRAILER_BYTES, 2));
      case "persistent" -> {
        dir = Files.createTempDirectory("hicache-l3-stub-bench");
        yield LocalL3Store.open(LocalL3Config.of(dir, PAGES * slot, DATA_BYTES + TRAILER_BYTES, 2));
      }
      default -> throw new IllegalArgumentException("store " + store);
    };
    arena = Arena.ofShared();
    for (int i = 0; i < 64; i++) {
      MemorySegment data = arena.allocate(DATA_BYTES, 64);
      data.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
      MemorySegment trailer = arena.allocate(TRAILER_BYTES, 8);
      trailer.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x4843_5047_0000_0001L);
      sources.add(new MemorySegment[] {data, trailer});
      targets.add(new MemorySegment[] {arena.allocate(DATA_BYTES, 64), arena.allocate(TRAILER_BYTES, 8)});
    }
    SplittableRandom r = new SplittableRandom(7);
    List<PageKey> all = new ArrayList<>(PAGES);
    for (int i = 0; i < PAGES; i++) all.add(key(r));
    for (int i = 0; i < FRESH; i++) fresh[i] = key(r);
    // Fill to capacity, 64 pages a call, as write-through backups arrive.
    for (int at = 0; at < PAGES; at += 64) {
      List<PageKey> chunk = all.subList(at, Math.min(PAGES, at + 64));
      l3.batchSet(chunk, sources.subList(0, chunk.size()));
    }
    for (PageKey k : all) if (l3.exists(k)) present.add(k);
    if (present.size() < HOT + 64) throw new IllegalStateException("only " + present.size() + " pages present after the fill");
    for (int i = 0; i < 48; i++) existsKeys.add(present.get(present.size() - 1 - i));
    for (int i = 0; i < 16; i++) existsKeys.add(fresh[FRESH - 1 - i]);
  }

  private static PageKey key(SplittableRandom r) {
    byte[] d = new byte[PageKey.BYTES];
    r.nextBytes(d);
    return PageKey.ofDigest(d);
  }

  @TearDown
  public void tearDown() throws IOException {
    l3.close();
    arena.close();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
      }
    }
  }

  private List<PageKey> nextFresh(int n) {
    batch.clear();
    for (int i = 0; i < n; i++) {
      batch.add(fresh[freshAt]);
      freshAt = (freshAt + 1) % (FRESH - 64); // the last 64 stay absent: existsKeys ends with 16 of them
    }
    return batch;
  }

  @Benchmark
  public int exists() {
    int n = l3.batchExists(existsKeys);
    if (n != 48) throw new IllegalStateException("leading run " + n + ", expected 48");
    return n;
  }

  @Benchmark
  public boolean[] get() {
    batch.clear();
    for (int i = 0; i < 16; i++) batch.add(present.get((getAt + i) % present.size()));
    getAt = (getAt + 16) % present.size();
    boolean[] ok = l3.batchGet(batch, targets.subList(0, 16));
    return ok;
  }

  @Benchmark
  public boolean[] setEvicting() {
    return l3.batchSet(nextFresh(16), sources.subList(0, 16));
  }

  @Benchmark
  public int requestMix() {
    // The newest HOT pages are the request's prefixes: a 16-page leading run, then a miss.
    int base = present.size() - HOT;
    batch.clear();
    for (int i = 0; i < 16; i++) batch.add(present.get(base + existsAt + i));
    batch.add(fresh[FRESH - 1]);
    int hit = l3.batchExists(batch);
    existsAt = (existsAt + 16) % HOT;
    List<PageKey> reads = present.subList(base + getAt, base + getAt + 4);
    getAt = (getAt + 4) % HOT;
    boolean[] ok = l3.batchGet(reads, targets.subList(0, 4));
    l3.batchSet(nextFresh(20), sources.subList(0, 20));
    return hit + (ok[0] ? 1 : 0);
  }
}
