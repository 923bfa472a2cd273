package dev.hicache.core.storage;

import dev.hicache.api.PageKey;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.metrics.MetricLabels;
import dev.hicache.api.spi.HostPool;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.events.EngineEvents;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Runs L3 commands against an {@link L3Store}, moving page bytes between the host pool and L3.
 *
 * <p>Every L3 page carries its own checksum (docs/behaviour.md#page-checksums), whatever the
 * backend: it is stored as two parts, the page's bytes (all layers, K and V, in the host layout's
 * page order) and a 16-byte trailer — a magic word and CRC32C over the page key and the bytes. A
 * page read back is verified before it is copied into the host pool; one that does not verify is a
 * miss, is removed from L3, and is counted, never served. Page views are created per command in a
 * confined arena and closed when it completes (docs/behaviour.md#node-state): nothing long-lived
 * holds host memory.
 *
 * <p>Without a host pool (metadata-only simulation) a page is a 8-byte stub derived from its key,
 * with the same trailer, so the store, the checksum path and the cost model all still run; its
 * views are heap memory (see the {@link L3Store} contract), nothing native is allocated.
 *
 * <p>Thread-safety: one instance per lane thread, or calls serialized by the caller; {@link #read}
 * and {@link #write} may run at once (a read lane and a write lane), each one call at a time.
 */
public final class L3PageIo {
  static final long MAGIC = 0x4843_5047_0000_0001L; // "HCPG" v1
  static final int TRAILER_BYTES = 16;
  private static final long STUB_BYTES = 8;
  private static final int STUB_WORDS = 3; // stub + trailer, in longs
  private static final VarHandle NATIVE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final L3Store store;
  private final HostPool pool;
  private final MetricsSink metrics;
  private volatile EngineEvents events = EngineEvents.NONE;
  private final long pageBytes;
  private final int pageSize;
  // Stub pages only. The production port calls one instance from its read and write lanes at
  // once, each lane one call at a time: reads and writes keep separate scratch.
  private final StubBatch stubReads, stubWrites;

  public L3PageIo(L3Store store, HostPool pool, int pageSize, MetricsSink metrics) {
    if (store == null) throw new IllegalArgumentException("an L3 store is required");
    this.store = store;
    this.pool = pool;
    this.pageSize = pageSize;
    this.metrics = metrics == null ? MetricsSink.NONE : metrics;
    this.pageBytes = pool == null ? STUB_BYTES : pool.pageBytes();
    this.stubReads = pool == null ? new StubBatch() : null;
    this.stubWrites = pool == null ? new StubBatch() : null;
    if (pool != null && pool.shape().pageSize() != pageSize) {
      throw new IllegalArgumentException("host pool page size " + pool.shape().pageSize() + " != HiCacheConfig pageSize " + pageSize);
    }
  }

  public L3Store store() { return store; }

  /** Bytes of one page's data part in L3. */
  public long pageBytes() { return pageBytes; }

  /**
   * Existence query (docs/behaviour.md#existence-query): hashes were computed by the caller; asks
   * 128 at a time and stops at the first chunk with a miss. A prefetch's lazily hashed keys are
   * passed a chunk at a time as the chunk's hashed span: every store's batch check reads each key
   * of the chunk anyway, and a plain view costs it less per key than a sub-list of the lazy list.
   */
  public int query(List<PageKey> keys) {
    int hit = 0;
    for (int at = 0; at < keys.size(); at += L3Store.MAX_BATCH_PAGES) {
      int end = Math.min(keys.size(), at + L3Store.MAX_BATCH_PAGES);
      List<PageKey> chunk = keys instanceof LazyPageKeys lazy ? lazy.hashedSpan(at, end) : keys.subList(at, end);
      int n = store.batchExists(chunk);
      if (n < 0 || n > chunk.size()) {
        throw new IllegalStateException("L3 store '" + store.name() + "' answered " + n + " for " + chunk.size() + " keys");
      }
      hit += n;
      if (n < chunk.size()) break;
    }
    return hit;
  }

  /** Generic page get (docs/behaviour.md#prefetch-transfer): read, verify, copy into the host pool page by page; the leading verified run counts. */
  public L3Port.ReadResult read(List<PageKey> keys, int[] hostPages) {
    checkBatch(keys, hostPages);
    if (pool == null) return readStubs(keys);
    try (Arena arena = Arena.ofConfined()) {
      List<MemorySegment[]> targets = views(arena, keys.size());
      boolean[] ok = answers(store.batchGet(keys, targets), keys.size());
      for (int i = 0; i < keys.size(); i++) {
        if (!ok[i]) return new L3Port.ReadResult(i, keys.size(), false, null);
        MemorySegment[] t = targets.get(i);
        if (!verifies(keys.get(i), t[0], t[1])) return mismatch(keys, i);
        pool.writePage(hostPages[i] * pageSize, t[0]);
      }
      return new L3Port.ReadResult(keys.size(), keys.size(), false, null);
    }
  }

  /** {@link #read} of stub pages: into the read scratch, each page checked against its key's stub. */
  private L3Port.ReadResult readStubs(List<PageKey> keys) {
    StubBatch b = stubReads;
    int n = keys.size();
    Arrays.fill(b.words, 0, STUB_WORDS * n, 0); // nothing of an earlier batch can pass for a page
    boolean[] ok = answers(store.batchGet(keys, b.views(n)), n);
    for (int i = 0; i < n; i++) {
      if (!ok[i]) return new L3Port.ReadResult(i, n, false, null);
      if (!b.holds(i, keys.get(i))) return mismatch(keys, i);
    }
    return new L3Port.ReadResult(n, n, false, null);
  }

  /** Per-operation tracing (docs/observability.md#jfr-events); called from the IO threads. */
  public void engineEvents(EngineEvents e) { events = e == null ? EngineEvents.NONE : e; }

  /**
   * Page {@code i} did not verify: a miss from there on, counted, and removed from L3
   * (docs/behaviour.md#page-checksums). A page another reader holds stays ({@link L3Store.Removal#IN_USE}: removing it under
   * that reader could hand it another page's bytes); it is counted as kept and, being a miss
   * whenever it is read, is removed by a later read once its reader is gone. The request never
   * fails for it.
   */
  private L3Port.ReadResult mismatch(List<PageKey> keys, int i) {
    metrics.count(StorageMetrics.CHECKSUM_MISMATCH_PAGES, 1);
    events.checksumFailure(MetricLabels.STORAGE, keys.get(i));
    try {
      if (store.removePage(keys.get(i)) == L3Store.Removal.IN_USE) {
        metrics.count(HiCacheMetric.CHECKSUM_MISMATCH_KEPT_PAGES.key(), 1);
      }
    } catch (RuntimeException e) {
      metrics.count(StorageMetrics.L3_FAILURES, "remove", 1);
    }
    return new L3Port.ReadResult(i, keys.size(), true, null);
  }

  private boolean[] answers(boolean[] ok, int pages) {
    if (ok == null || ok.length != pages) {
      throw new IllegalStateException("L3 store '" + store.name() + "' returned "
          + (ok == null ? "null" : ok.length + " results") + " for " + pages + " pages");
    }
    return ok;
  }

  /** Page backup (docs/behaviour.md#backup-to-l3): the backend skips pages it already holds. Returns the leading pages stored. */
  public int write(List<PageKey> keys, int[] hostPages) {
    checkBatch(keys, hostPages);
    if (pool == null) return stored(store.batchSet(keys, stubWrites.fill(keys)), keys.size());
    try (Arena arena = Arena.ofConfined()) {
      List<MemorySegment[]> sources = views(arena, keys.size());
      for (int i = 0; i < keys.size(); i++) {
        MemorySegment data = sources.get(i)[0];
        pool.readPage(hostPages[i] * pageSize, data);
        MemorySegment trailer = sources.get(i)[1];
        trailer.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, MAGIC);
        trailer.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, crc(keys.get(i), data));
      }
      return stored(store.batchSet(keys, sources), keys.size());
    }
  }

  /** The leading pages a {@code batchSet} answer says are stored. */
  private int stored(boolean[] ok, int pages) {
    answers(ok, pages);
    int n = 0;
    while (n < ok.length && ok[n]) n++;
    return n;
  }

  /**
   * Scratch for up to {@link L3Store#MAX_BATCH_PAGES} stub pages: each page's stub (its key's
   * int64) and trailer are three words of one heap array, with views made once. The same bytes a
   * native view would hold (a long[]'s heap segment uses the native byte order, as the unaligned
   * long layout does), without a confined arena's native allocation, zeroing and release, and
   * without two view objects per page, per batch: a full-engine replay writes over a million stub
   * pages (docs/design.md#metadata-only-simulation). A store only uses the views during its call.
   */
  private static final class StubBatch {
    final long[] words = new long[STUB_WORDS * L3Store.MAX_BATCH_PAGES];
    // views[n]: the first n pages' views, a list of its own per n (a store reads it in its batch
    // check and again per page: a plain array list, not a sub-list's checks and indirection).
    private final List<MemorySegment[]>[] views;
    private final PageKey[] batchKeys = new PageKey[L3Store.MAX_BATCH_PAGES];
    private final byte[] crcInput = new byte[PageKey.BYTES + (int) STUB_BYTES];
    private final CRC32C crc = new CRC32C();

    StubBatch() {
      MemorySegment all = MemorySegment.ofArray(words);
      MemorySegment[][] v = new MemorySegment[L3Store.MAX_BATCH_PAGES][];
      for (int i = 0; i < v.length; i++) {
        long at = (long) Long.BYTES * STUB_WORDS * i;
        v[i] = new MemorySegment[] {all.asSlice(at, STUB_BYTES), all.asSlice(at + STUB_BYTES, TRAILER_BYTES)};
      }
      @SuppressWarnings("unchecked")
      List<MemorySegment[]>[] byCount = new List[v.length + 1];
      for (int n = 0; n <= v.length; n++) byCount[n] = Arrays.asList(Arrays.copyOf(v, n));
      views = byCount;
    }

    /**
     * The pages of {@code keys}, filled in: the stubs first, a loop of loads the processor overlaps
     * (a backup's keys were made on another thread and are seldom in this core's cache), then the
     * trailers, whose checksums would otherwise wait for each key's load in turn.
     */
    List<MemorySegment[]> fill(List<PageKey> keys) {
      int n = keys.size();
      PageKey[] ks = batchKeys;
      for (int i = 0; i < n; i++) {
        PageKey key = keys.get(i);
        ks[i] = key;
        words[STUB_WORDS * i] = key.toInt64();
      }
      for (int i = 0; i < n; i++) {
        words[STUB_WORDS * i + 1] = MAGIC;
        words[STUB_WORDS * i + 2] = crc(ks[i], words[STUB_WORDS * i]);
      }
      return views[n];
    }

    /** The views of the first {@code n} pages. */
    List<MemorySegment[]> views(int n) {
      return views[n];
    }

    /** Whether page {@code i} as read is {@code key}'s stub with its trailer. */
    boolean holds(int i, PageKey key) {
      long stub = words[STUB_WORDS * i];
      return words[STUB_WORDS * i + 1] == MAGIC && stub == key.toInt64() && words[STUB_WORDS * i + 2] == crc(key, stub);
    }

    /** {@link L3PageIo#crc} of a stub page, from this batch's scratch. */
    private long crc(PageKey key, long stub) {
      key.writeTo(crcInput, 0);
      NATIVE_LONG.set(crcInput, PageKey.BYTES, stub);
      crc.reset();
      crc.update(crcInput, 0, crcInput.length);
      return crc.getValue();
    }
  }

  /**
   * {@code n} pairs of page views (data, 64-byte aligned; trailer, 8-byte aligned), sliced from one
   * allocation per kind: a batch costs two native allocations, not two per page (in a metadata-only
   * simulation, with 8-byte stubs, that allocation was a large share of the L3 path's time).
   */
  private List<MemorySegment[]> views(Arena arena, int n) {
    long dataStride = (pageBytes + 63) & ~63L;
    MemorySegment data = arena.allocate(dataStride * n, 64);
    MemorySegment trailers = arena.allocate((long) TRAILER_BYTES * n, 8);
    List<MemorySegment[]> views = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      views.add(new MemorySegment[] {data.asSlice(i * dataStride, pageBytes),
          trailers.asSlice((long) i * TRAILER_BYTES, TRAILER_BYTES)});
    }
    return views;
  }

  private static boolean verifies(PageKey key, MemorySegment data, MemorySegment trailer) {
    return trailer.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) == MAGIC && trailer.get(ValueLayout.JAVA_LONG_UNALIGNED, 8) == crc(key, data);
  }

  /** CRC32C over the page key's 32 bytes, then the page's bytes (stub pages: {@link StubBatch#crc}, the same sum). */
  static long crc(PageKey key, MemorySegment data) {
    CRC32C c = new CRC32C();
    c.update(key.bytes());
    c.update(data.asByteBuffer());
    return c.getValue();
  }

  private static void checkBatch(List<PageKey> keys, int[] hostPages) {
    if (keys.size() > L3Store.MAX_BATCH_PAGES) {
      throw new IllegalArgumentException("an L3 batch holds at most " + L3Store.MAX_BATCH_PAGES + " pages, got " + keys.size());
    }
    if (hostPages.length != keys.size()) {
      throw new IllegalArgumentException(keys.size() + " keys but " + hostPages.length + " host pages");
    }
  }
}
