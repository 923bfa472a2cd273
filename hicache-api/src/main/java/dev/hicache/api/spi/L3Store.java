package dev.hicache.api.spi;

import dev.hicache.api.PageKey;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.List;

/**
 * The L3 page store SPI (docs/behaviour.md#l3-store-contract): Mooncake Store, the embedded store,
 * or a user's own backend.
 *
 * <p>A page is stored under its {@link PageKey} as one or more parts (K and V for an MHA page in a
 * page-first layout, one latent part for MLA, one part per layer and K/V for layer_first). All
 * parts of a page succeed or fail together (a part paired with another page's part is wrong data).
 * Batches hold at most {@link #MAX_BATCH_PAGES} pages.
 *
 * <p>Page buffers are native memory (the host pool's pages; registered memory for a zero-copy
 * backend) or, for a metadata-only simulation's stub pages, heap segments. A backend that moves
 * only registered memory refuses other buffers; every other backend takes both.
 *
 * <p>Errors: a backend that cannot serve a call throws {@link L3Exception} with a cause; callers
 * (the engine's IO loop) treat it as a miss or a skipped write, never as a failed request.
 * Thread-safety: every method may be called from several threads at once.
 */
public interface L3Store extends AutoCloseable {
  /** SGLang's {@code STORAGE_BATCH_SIZE}. */
  int MAX_BATCH_PAGES = 128;

  /** What a backend can do. */
  record Capabilities(boolean zeroCopy, boolean sharedAcrossProcesses, boolean persistent) {}

  /** The backend's name: "local", "mooncake", ... */
  String name();

  Capabilities capabilities();

  /** The number of leading keys, from the first, whose pages are all present. */
  int batchExists(List<PageKey> keys);

  /**
   * Reads each page into its target parts (for a zero-copy backend, straight into registered host
   * memory). Each page's parts must have the sizes the page was stored with; a page whose bytes do
   * not verify (size or checksum) is reported as absent, never copied half.
   *
   * @return per page, whether it was read completely and verified
   */
  boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets);

  /**
   * Stores each page from its source parts, skipping pages already present (the backend
   * deduplicates: docs/behaviour.md#backup-to-l3).
   *
   * @return per page, whether it is now stored (already present counts as stored)
   */
  boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources);

  /**
   * Removes a page; returns whether it was removed by this call. False when it was absent, and
   * also when a backend keeps it because a reader holds it ({@link Removal#IN_USE}); {@link
   * #removePage} tells the two apart.
   */
  boolean remove(PageKey key);

  /** What {@link #removePage} did. */
  enum Removal {
    /** The page was present and is gone. */
    REMOVED,
    /** There was no such page. */
    ABSENT,
    /**
     * The page stays, whole, because a reader holds it right now (Mooncake's read lease): removing
     * it under the reader could hand that reader another page's bytes. Try again later.
     */
    IN_USE
  }

  /**
   * Removes a page, saying whether it was removed, absent, or kept because it is in use. The
   * default suits backends whose removal never waits for readers.
   */
  default Removal removePage(PageKey key) {
    return remove(key) ? Removal.REMOVED : Removal.ABSENT;
  }

  /**
   * Drops every page ({@code /clear_hicache_storage_backend}). A backend whose pages can be held
   * by readers may keep those (see {@link Removal#IN_USE}) and says so in its documentation.
   */
  void clear();

  @Override void close();

  /** Whether one page is present: {@code batchExists(List.of(key)) == 1}. */
  default boolean exists(PageKey key) {
    checkKey(key);
    return batchExists(List.of(key)) == 1;
  }

  /** Reads one page into its target parts; see {@link #batchGet}. */
  default boolean get(PageKey key, MemorySegment... targets) {
    checkKey(key);
    return batchGet(List.of(key), Collections.singletonList(targets))[0];
  }

  /** Stores one page from its source parts; see {@link #batchSet}. */
  default boolean set(PageKey key, MemorySegment... sources) {
    checkKey(key);
    return batchSet(List.of(key), Collections.singletonList(sources))[0];
  }

  /** Rejects a null key with the same error every backend gives. */
  static void checkKey(PageKey key) {
    if (key == null) throw new IllegalArgumentException("key is null");
  }

  /**
   * Checks a {@link #batchGet} or {@link #batchSet} batch: {@link #checkBatch} with the page
   * buffers required. Backends call it before touching anything, so that a bad batch leaves
   * nothing half written.
   */
  static void checkPageBatch(List<PageKey> keys, List<MemorySegment[]> pages) {
    if (pages == null) throw new IllegalArgumentException("page buffers must not be null");
    check(keys, pages, null, null);
  }

  /**
   * {@link #checkPageBatch}, copying the batch's keys into {@code keysOut} and its pages into
   * {@code pagesOut} (each of at least {@link #MAX_BATCH_PAGES} entries, or null) in the same pass:
   * for a backend that reads a batch's keys and pages more than once, so that it walks the lists
   * once. The same errors, in the same order; on an error the arrays may hold part of the batch.
   */
  static void checkPageBatchInto(List<PageKey> keys, List<MemorySegment[]> pages, PageKey[] keysOut, MemorySegment[][] pagesOut) {
    if (pages == null) throw new IllegalArgumentException("page buffers must not be null");
    check(keys, pages, keysOut, pagesOut);
  }

  /** Checks a batch's arguments the same way for every backend. */
  static void checkBatch(List<PageKey> keys, List<MemorySegment[]> buffers) {
    check(keys, buffers, null, null);
  }

  /** {@link #checkBatch} of a batch of keys only, copying them into {@code keysOut} in the same pass (see {@link #checkPageBatchInto}). */
  static void checkBatchInto(List<PageKey> keys, PageKey[] keysOut) {
    check(keys, null, keysOut, null);
  }

  private static void check(List<PageKey> keys, List<MemorySegment[]> buffers, PageKey[] keysOut, MemorySegment[][] buffersOut) {
    if (keys == null) throw new IllegalArgumentException("keys must not be null");
    int n = keys.size();
    if (n > MAX_BATCH_PAGES) {
      throw new IllegalArgumentException("a batch holds at most " + MAX_BATCH_PAGES + " pages, got " + n);
    }
    if (buffers != null && buffers.size() != n) {
      throw new IllegalArgumentException(n + " keys but " + buffers.size() + " page buffers");
    }
    for (int i = 0; i < n; i++) {
      PageKey key = keys.get(i);
      if (key == null) throw new IllegalArgumentException("key " + i + " is null");
      if (keysOut != null) keysOut[i] = key;
      if (buffers != null) {
        MemorySegment[] parts = buffers.get(i);
        if (parts == null || parts.length == 0) throw new IllegalArgumentException("page " + i + " has no parts");
        for (MemorySegment p : parts) {
          if (p == null) throw new IllegalArgumentException("page " + i + " has a null part");
        }
        if (buffersOut != null) buffersOut[i] = parts;
      }
    }
  }
}
