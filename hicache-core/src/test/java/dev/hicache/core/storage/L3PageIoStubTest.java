package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.metrics.InMemoryMetrics;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Metadata-only L3 pages (no host pool): each page is its key's int64 stub and a trailer (magic,
 * CRC32C over key and stub), built in heap memory. The bytes a store receives are checked against
 * that definition written out independently, and a damaged stub or trailer is never served.
 */
class L3PageIoStubTest {
  private static List<PageKey> keys(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    List<PageKey> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] d = new byte[PageKey.BYTES];
      r.nextBytes(d);
      keys.add(PageKey.ofDigest(d));
    }
    return keys;
  }

  /** The stub page's two parts as the class documents them, little-endian on this machine. */
  private static byte[][] expected(PageKey k) {
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, k.toInt64());
    CRC32C c = new CRC32C();
    c.update(k.bytes());
    c.update(data.array());
    ByteBuffer trailer = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
        .putLong(0, L3PageIo.MAGIC).putLong(8, c.getValue());
    return new byte[][] {data.array(), trailer.array()};
  }

  @Test
  void stubPages_storeTheDocumentedBytes_andReadBackVerified() {
    qt().withExamples(50).forAll(longs().all(), integers().between(1, 128)).checkAssert((seed, n) -> {
      MapL3StoreDouble store = new MapL3StoreDouble();
      L3PageIo io = new L3PageIo(store, null, 64, MetricsSink.NONE);
      List<PageKey> keys = keys(seed, n);
      assertThat(io.write(keys, new int[n])).isEqualTo(n);
      for (PageKey k : keys) {
        byte[][] got = store.stored(k);
        byte[][] want = expected(k);
        assertThat(got.length).as("parts of %s", k).isEqualTo(2);
        assertThat(got[0]).as("stub of %s", k).containsExactly(want[0]);
        assertThat(got[1]).as("trailer of %s", k).containsExactly(want[1]);
      }
      L3Port.ReadResult r = io.read(keys, new int[n]);
      assertThat(r.pages()).isEqualTo(n);
      assertThat(r.checksumMismatch()).isFalse();
    });
  }

  @Test
  void damagedStubOrTrailer_isAMiss_removedAndNeverServed() {
    qt().withExamples(50).forAll(longs().all(), integers().between(2, 64), integers().between(0, 23))
        .checkAssert((seed, n, damagedByte) -> {
          MapL3StoreDouble store = new MapL3StoreDouble();
          L3PageIo io = new L3PageIo(store, null, 64, MetricsSink.NONE);
          List<PageKey> keys = keys(seed, n);
          io.write(keys, new int[n]);
          int victim = n / 2;
          byte[][] parts = store.stored(keys.get(victim));
          if (damagedByte < 8) parts[0][damagedByte] ^= 0x40;
          else parts[1][damagedByte - 8] ^= 0x40;
          L3Port.ReadResult r = io.read(keys, new int[n]);
          assertThat(r.pages()).as("pages served before the damaged one").isEqualTo(victim);
          assertThat(r.checksumMismatch()).isTrue();
          assertThat(store.contains(keys.get(victim))).as("the damaged page is removed").isFalse();
        });
  }

  /**
   * The read scratch is reused by every batch: a store that answers "read" without writing must
   * not leave the previous batch's (valid) pages to be served as this one's.
   */
  @Test
  void aStoreThatClaimsAReadWithoutWriting_isNeverServedAnEarlierBatchsPages() {
    MapL3StoreDouble backing = new MapL3StoreDouble();
    boolean[] lie = {false};
    L3Store store = new L3Store() {
      @Override public String name() { return "claims-reads"; }
      @Override public Capabilities capabilities() { return backing.capabilities(); }
      @Override public int batchExists(List<PageKey> keys) { return backing.batchExists(keys); }
      @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
        if (!lie[0]) return backing.batchGet(keys, targets);
        boolean[] all = new boolean[keys.size()];
        java.util.Arrays.fill(all, true);
        return all;
      }
      @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) { return backing.batchSet(keys, sources); }
      @Override public boolean remove(PageKey key) { return backing.remove(key); }
      @Override public void clear() { backing.clear(); }
      @Override public void close() { backing.close(); }
    };
    L3PageIo io = new L3PageIo(store, null, 64, MetricsSink.NONE);
    List<PageKey> keys = keys(7, 16);
    io.write(keys, new int[16]);
    assertThat(io.read(keys, new int[16]).pages()).isEqualTo(16);
    lie[0] = true;
    L3Port.ReadResult again = io.read(keys, new int[16]);
    assertThat(again.pages()).isZero();
    assertThat(again.checksumMismatch()).isTrue();
  }

  /**
   * A damaged page that another reader holds cannot be removed (Mooncake's read lease): the store
   * answers {@link L3Store.Removal#IN_USE}. The read is still a miss from that page on and never
   * fails; the page is counted as kept (not as a failed removal), stays, and goes with the first
   * read after its reader let go.
   */
  @Test
  void damagedPageHeldByAReader_isAMiss_countedAsKept_andRemovedOnceReleased() {
    MapL3StoreDouble backing = new MapL3StoreDouble();
    java.util.Set<PageKey> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    L3Store store = new L3Store() {
      @Override public String name() { return "leasing"; }
      @Override public Capabilities capabilities() { return backing.capabilities(); }
      @Override public int batchExists(List<PageKey> keys) { return backing.batchExists(keys); }
      @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) { return backing.batchGet(keys, targets); }
      @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) { return backing.batchSet(keys, sources); }
      @Override public Removal removePage(PageKey key) {
        if (held.contains(key) && backing.contains(key)) return Removal.IN_USE;
        return backing.remove(key) ? Removal.REMOVED : Removal.ABSENT;
      }
      @Override public boolean remove(PageKey key) { return removePage(key) == Removal.REMOVED; }
      @Override public void clear() { backing.clear(); }
      @Override public void close() { backing.close(); }
    };
    InMemoryMetrics metrics = new InMemoryMetrics();
    L3PageIo io = new L3PageIo(store, null, 64, metrics);
    List<PageKey> keys = keys(11, 8);
    io.write(keys, new int[8]);
    PageKey victim = keys.get(5);
    backing.stored(victim)[1][3] ^= 0x40;
    held.add(victim);
    String kept = HiCacheMetric.CHECKSUM_MISMATCH_KEPT_PAGES.key();

    for (int attempt = 1; attempt <= 2; attempt++) {
      L3Port.ReadResult r = io.read(keys, new int[8]);
      assertThat(r.pages()).as("pages served before the held damaged one").isEqualTo(5);
      assertThat(r.checksumMismatch()).isTrue();
      assertThat(backing.contains(victim)).as("a held page stays").isTrue();
      assertThat(metrics.counter(kept)).as("kept pages after read %d", attempt).isEqualTo(attempt);
    }
    assertThat(metrics.counter(StorageMetrics.L3_FAILURES, "remove")).as("in use is not a failure").isZero();

    held.remove(victim);
    assertThat(io.read(keys, new int[8]).pages()).isEqualTo(5);
    assertThat(backing.contains(victim)).as("removed once its reader let go").isFalse();
    assertThat(metrics.counter(kept)).isEqualTo(2);
    assertThat(metrics.counter(StorageMetrics.CHECKSUM_MISMATCH_PAGES)).isEqualTo(3);
  }
}
