package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Stats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The simulator's model of the embedded store (hicache-l3-local) in its process-private mode with
 * exact LRU eviction: the same pages held, the same answers to every call and the same statistics,
 * without the store's slot protocol. In a metadata-only simulation the slab, slot words, page
 * images and checksums change no result; only which keys the store holds and its LRU order do,
 * and the real store's cache misses over ~100 MB of slots and index were half of a full-engine
 * replay (docs/design.md#metadata-only-simulation). {@code --l3-store real} runs the real store
 * instead; {@code LocalLruL3ModelEquivalenceTest} drives both with the same random calls.
 *
 * <p>What it reproduces of {@code LocalL3Store} (process-private, {@code lru}): capacity = the
 * config's slot count; a page too large for a slot (more parts than {@code maxParts}, or header
 * plus bytes over the slot) is refused unless its key is present; a write of a present key is a
 * use and keeps the first bytes; a write of an absent key into a full store first evicts the least
 * recently used page; a read is a use when the page's part count and sizes match the targets
 * (otherwise a miss that changes nothing); an existence query is not a use; removal and
 * {@link #clear} are not evictions; the same statistics ({@link #stats}) and the same errors.
 *
 * <p>Layout, for the cache (a replay writes ~14 M pages, nearly each evicting one): an
 * open-addressing table of one long per position ({@code fingerprint << 28 | entry + 1}, as the
 * store's own heap index); per entry one 64-byte line, 64-aligned off the heap, holding the key's
 * four words, the page's shape and up to {@value #INLINE_BYTES} bytes of the page (a stub page
 * fits: it is regenerated nowhere, just kept); the LRU order as {@code int} links in one compact
 * array (3.75 MB for the simulator's 468,750 pages, so walking it to the next victims mostly hits
 * the cache). An evicted entry's line is reused for the new key. Before a batch it loads, as
 * independent loads the processor overlaps, each key's table position and, when the batch will
 * evict, the coming victims' lines and table positions. No object and no allocation per call
 * but the answer array. Thread-safe (one monitor).
 */
public final class LocalLruL3Model implements L3Store {
  /** Page bytes kept in the entry's own line; larger pages (or a 255th shape) go to a side array. */
  static final int INLINE_BYTES = 24;
  private static final long LINE = 64, SHAPE_AT = 32, VALUE_AT = 40;
  private static final int NONE = -1, OVERFLOW = -1, MAX_SHAPES = 254;
  private static final int ENTRY_BITS = 28;
  private static final long ENTRY_MASK = (1L << ENTRY_BITS) - 1;
  // The store's page header: magic, checksum, part count, key, then 4 bytes per part size, 64-aligned
  // (LocalL3Config's headerBytes; a page fits its slot when header + bytes <= slotBytes).
  private static final int SLOT_HEADER_FIXED = 56;

  private final LocalL3Config config;
  private final int slotCount, slotBytes, maxParts;
  private final long[] table;
  private final int mask;
  private final Arena arena;
  private final MemorySegment lines;
  // prev and next of entry e side by side (links[2e], links[2e + 1]); NONE at the ends.
  private final int[] links;
  private int head = NONE, tail = NONE;
  private int size, highWater;
  private final int[] free; // removed entry numbers, a stack
  private int freeTop;
  private byte[][][] overflow; // pages not kept inline, by entry (made on first need)
  // Interned part-size lists: a page's shape id is its index here.
  private final int[][] shapes = new int[MAX_SHAPES][];
  private int shapeCount;
  private boolean closed;
  // Per batch: each key's fingerprint, and the victims loaded ahead.
  private final long[] fingerprints = new long[MAX_BATCH_PAGES];
  private final int[] victims = new int[MAX_BATCH_PAGES];
  private long prefetched;
  private long stored, alreadyPresent, read, evictions, tooLarge;

  /**
   * A model of {@code LocalL3Store.open(config)}: {@code config} must be process-private with
   * {@link LocalL3Config.Eviction#LRU} eviction (the only mode this models).
   */
  public LocalLruL3Model(LocalL3Config config) {
    if (!config.isProcessPrivate() || config.eviction() != LocalL3Config.Eviction.LRU) {
      throw new IllegalArgumentException("the LRU model of the embedded L3 models the process-private store with lru"
          + " eviction only, not " + (config.isProcessPrivate() ? "process-private" : "shared at " + config.directory())
          + " with " + config.eviction().flagName());
    }
    this.config = config;
    this.slotCount = config.slotCount();
    this.slotBytes = config.slotBytes();
    this.maxParts = config.maxParts();
    int capacity = 16;
    while ((long) capacity / 2 < slotCount) capacity <<= 1;
    this.table = new long[capacity];
    this.mask = capacity - 1;
    this.arena = Arena.ofShared();
    this.lines = arena.allocate(LINE * slotCount, LINE);
    this.links = new int[2 * slotCount];
    this.free = new int[slotCount];
  }

  @Override public String name() {
    return "local";
  }

  @Override public Capabilities capabilities() {
    return new Capabilities(false, false, false); // as the process-private store: not shared, not persistent
  }

  public LocalL3Config config() {
    return config;
  }

  // ------------------------------------------------------------------ the SPI

  @Override public synchronized int batchExists(List<PageKey> keys) {
    L3Store.checkBatch(keys, null);
    open();
    // Key by key, as the store: the keys after the first miss are not read (a caller's keys may be
    // hashed on first use).
    int n = keys.size(), run = 0;
    while (run < n) {
      PageKey k = keys.get(run);
      if (find(k, fingerprint(k)) < 0) break;
      run++;
    }
    return run;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkPageBatch(keys, targets);
    open();
    int n = keys.size();
    loadHomes(keys, n);
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) {
      int at = find(keys.get(i), fingerprints[i]);
      if (at < 0) continue;
      int e = entryOf(table[at]);
      MemorySegment[] t = targets.get(i);
      if (!readInto(e, t)) continue; // another shape: a miss that changes nothing
      read++;
      toTail(e);
      out[i] = true;
    }
    return out;
  }

  @Override public synchronized boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkPageBatch(keys, sources);
    open();
    int n = keys.size();
    loadAhead(keys, n);
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) out[i] = write(keys.get(i), fingerprints[i], sources.get(i));
    return out;
  }

  @Override public synchronized boolean remove(PageKey key) {
    L3Store.checkKey(key);
    open();
    long f = fingerprint(key);
    int at = find(key, f);
    if (at < 0) return false;
    int e = entryOf(table[at]);
    delete(at);
    unlink(e);
    release(e);
    free[freeTop++] = e;
    return true;
  }

  @Override public synchronized void clear() {
    open();
    Arrays.fill(table, 0);
    head = tail = NONE;
    size = highWater = freeTop = 0;
    overflow = null;
  }

  @Override public synchronized void close() {
    if (closed) return;
    closed = true;
    arena.close();
  }

  /** Pages held. */
  public synchronized long size() {
    open();
    return size;
  }

  /** What the store would report ({@code LocalL3Store.stats()}); checksum, stale, full and recovery counts stay 0. */
  public synchronized LocalL3Stats stats() {
    return new LocalL3Stats(stored, alreadyPresent, read, 0, 0, evictions, tooLarge, 0, 0, 0);
  }

  /** Visits every key held, least recently used first. */
  public synchronized void forEachKeyInLruOrder(Consumer<PageKey> visitor) {
    open();
    List<PageKey> keys = new ArrayList<>(size);
    for (int e = head; e != NONE; e = links[2 * e + 1]) keys.add(keyOf(e));
    keys.forEach(visitor);
  }

  private void open() {
    if (closed) throw new IllegalStateException("process-private local L3 is closed");
  }

  // ------------------------------------------------------------------ pages

  private boolean write(PageKey key, long f, MemorySegment[] parts) {
    int at = find(key, f);
    if (at >= 0) {
      alreadyPresent++;
      toTail(entryOf(table[at])); // a write of a present page is a use; its bytes stay
      return true;
    }
    long bytes = 0;
    for (MemorySegment p : parts) bytes += p.byteSize();
    if (parts.length > maxParts || headerBytes(parts.length) + bytes > slotBytes) {
      tooLarge++;
      return false;
    }
    int e;
    if (size == slotCount) {
      e = evictHead(); // its line is the new key's
      evictions++;
      at = NONE;
    } else if (freeTop > 0) {
      e = free[--freeTop];
    } else {
      e = highWater++;
    }
    long base = e * LINE;
    lines.set(ValueLayout.JAVA_LONG, base, key.word(0));
    lines.set(ValueLayout.JAVA_LONG, base + 8, key.word(1));
    lines.set(ValueLayout.JAVA_LONG, base + 16, key.word(2));
    lines.set(ValueLayout.JAVA_LONG, base + 24, key.word(3));
    int shape = bytes <= INLINE_BYTES ? shapeOf(parts) : OVERFLOW;
    lines.set(ValueLayout.JAVA_INT, base + SHAPE_AT, shape);
    if (shape != OVERFLOW) {
      long off = base + VALUE_AT;
      for (MemorySegment p : parts) {
        copy(p, 0, lines, off, p.byteSize());
        off += p.byteSize();
      }
    } else {
      if (overflow == null) overflow = new byte[slotCount][][];
      byte[][] kept = new byte[parts.length][];
      for (int p = 0; p < parts.length; p++) kept[p] = parts[p].toArray(ValueLayout.JAVA_BYTE);
      overflow[e] = kept;
    }
    if (at < 0) { // the probe's end, unless an eviction moved the table since
      at = (int) f & mask;
      while (table[at] != 0) at = (at + 1) & mask;
    }
    table[at] = (f << ENTRY_BITS) | (e + 1);
    size++;
    linkLast(e);
    stored++;
    return true;
  }

  /** Copies entry {@code e}'s page into {@code t} if the shapes match; false (nothing copied) if not. */
  private boolean readInto(int e, MemorySegment[] t) {
    long base = e * LINE;
    int shape = lines.get(ValueLayout.JAVA_INT, base + SHAPE_AT);
    if (shape == OVERFLOW) {
      byte[][] kept = overflow[e];
      if (kept.length != t.length) return false;
      for (int p = 0; p < t.length; p++) if (kept[p].length != t[p].byteSize()) return false;
      for (int p = 0; p < t.length; p++) MemorySegment.copy(kept[p], 0, t[p], ValueLayout.JAVA_BYTE, 0, kept[p].length);
      return true;
    }
    int[] sizes = shapes[shape];
    if (sizes.length != t.length) return false;
    for (int p = 0; p < t.length; p++) if (sizes[p] != t[p].byteSize()) return false;
    long off = base + VALUE_AT;
    for (int p = 0; p < t.length; p++) {
      copy(lines, off, t[p], 0, sizes[p]);
      off += sizes[p];
    }
    return true;
  }

  /** Small copies as long moves (a stub page is 8 + 16 bytes); the bytes land as MemorySegment.copy would put them. */
  private static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      dst.set(ValueLayout.JAVA_LONG_UNALIGNED, dstOff + i, src.get(ValueLayout.JAVA_LONG_UNALIGNED, srcOff + i));
    }
    for (; i < n; i++) dst.set(ValueLayout.JAVA_BYTE, dstOff + i, src.get(ValueLayout.JAVA_BYTE, srcOff + i));
  }

  /** The id of the parts' sizes, interned on first sight; OVERFLOW once MAX_SHAPES are taken. */
  private int shapeOf(MemorySegment[] parts) {
    for (int s = shapeCount - 1; s >= 0; s--) {
      int[] sizes = shapes[s];
      if (sizes.length != parts.length) continue;
      int p = 0;
      while (p < sizes.length && sizes[p] == parts[p].byteSize()) p++;
      if (p == sizes.length) return s;
    }
    if (shapeCount == MAX_SHAPES) return OVERFLOW;
    int[] sizes = new int[parts.length];
    for (int p = 0; p < sizes.length; p++) sizes[p] = (int) parts[p].byteSize();
    shapes[shapeCount] = sizes;
    return shapeCount++;
  }

  /** The store's header bytes for a page of {@code parts} parts (LocalL3Config.headerBytes). */
  static long headerBytes(int parts) {
    return (SLOT_HEADER_FIXED + 4L * parts + 63) & ~63L;
  }

  private PageKey keyOf(int e) {
    byte[] b = new byte[PageKey.BYTES];
    for (int w = 0; w < 4; w++) {
      long v = lines.get(ValueLayout.JAVA_LONG, e * LINE + 8L * w);
      for (int i = 0; i < 8; i++) b[8 * w + i] = (byte) (v >>> (56 - 8 * i));
    }
    return PageKey.ofDigest(b);
  }

  // ------------------------------------------------------------------ index

  /** 36 bits of a hash of all four words, never 0 (the store's heap index's fingerprint). */
  static long fingerprint(long k0, long k1, long k2, long k3) {
    long h = k0 ^ Long.rotateLeft(k1, 17) ^ Long.rotateLeft(k2, 31) ^ Long.rotateLeft(k3, 47);
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    long f = h >>> ENTRY_BITS;
    return f == 0 ? 1 : f;
  }

  private static long fingerprint(PageKey k) {
    return fingerprint(k.word(0), k.word(1), k.word(2), k.word(3));
  }

  private static int entryOf(long word) {
    return (int) (word & ENTRY_MASK) - 1;
  }

  /** The table position of {@code key} (fingerprint {@code f}), or -1. */
  private int find(PageKey key, long f) {
    long[] t = table;
    for (int i = (int) f & mask; ; i = (i + 1) & mask) {
      long word = t[i];
      if (word == 0) return -1;
      if (word >>> ENTRY_BITS == f) {
        long base = entryOf(word) * LINE;
        if (lines.get(ValueLayout.JAVA_LONG, base) == key.word(0) && lines.get(ValueLayout.JAVA_LONG, base + 8) == key.word(1)
            && lines.get(ValueLayout.JAVA_LONG, base + 16) == key.word(2)
            && lines.get(ValueLayout.JAVA_LONG, base + 24) == key.word(3)) {
          return i;
        }
      }
    }
  }

  /** Empties table position {@code i}, moving later members of its probe run up so no lookup stops early. */
  private void delete(int i) {
    long[] t = table;
    int gap = i;
    for (int j = (gap + 1) & mask; t[j] != 0; j = (j + 1) & mask) {
      int h = (int) (t[j] >>> ENTRY_BITS) & mask;
      // j may move into the gap unless its home lies in the cyclic range (gap, j].
      if (((j - h) & mask) >= ((j - gap) & mask)) {
        t[gap] = t[j];
        gap = j;
      }
    }
    t[gap] = 0;
    size--;
  }

  /** Removes the least recently used page (table position found from its key's fingerprint) and returns its entry. */
  private int evictHead() {
    int e = head;
    long base = e * LINE;
    long f = fingerprint(lines.get(ValueLayout.JAVA_LONG, base), lines.get(ValueLayout.JAVA_LONG, base + 8),
        lines.get(ValueLayout.JAVA_LONG, base + 16), lines.get(ValueLayout.JAVA_LONG, base + 24));
    long word = (f << ENTRY_BITS) | (e + 1);
    int i = (int) f & mask;
    while (table[i] != word) i = (i + 1) & mask;
    delete(i);
    unlink(e);
    release(e);
    return e;
  }

  private void release(int e) {
    if (overflow != null) overflow[e] = null;
  }

  /**
   * Before a batch's lookups: each key's fingerprint (kept for the batch) and table position
   * loaded, independent loads the processor overlaps instead of one cold line after another.
   */
  private void loadHomes(List<PageKey> keys, int n) {
    long[] t = table, fps = fingerprints;
    for (int k = 0; k < n; k++) fps[k] = fingerprint(keys.get(k));
    // A loop of its own: a few instructions per load, so many misses are in flight at once.
    long acc = 0;
    for (int k = 0; k < n; k++) acc += t[(int) fps[k] & mask];
    prefetched = acc; // a use, so the loads are not dropped
  }

  /** {@link #loadHomes}, and when the batch may evict, the coming victims' lines and then their table positions. */
  private void loadAhead(List<PageKey> keys, int n) {
    loadHomes(keys, n);
    if (size <= slotCount - n) return;
    int v = 0;
    for (int e = head; e != NONE && v < n; e = links[2 * e + 1]) victims[v++] = e;
    long acc = 0;
    for (int k = 0; k < v; k++) acc += lines.get(ValueLayout.JAVA_LONG, victims[k] * LINE + 24);
    for (int k = 0; k < v; k++) {
      long base = victims[k] * LINE;
      long f = fingerprint(lines.get(ValueLayout.JAVA_LONG, base), lines.get(ValueLayout.JAVA_LONG, base + 8),
          lines.get(ValueLayout.JAVA_LONG, base + 16), lines.get(ValueLayout.JAVA_LONG, base + 24));
      acc += table[(int) f & mask];
    }
    prefetched += acc;
  }

  // ------------------------------------------------------------------ LRU

  private void linkLast(int e) {
    links[2 * e] = tail;
    links[2 * e + 1] = NONE;
    if (tail == NONE) head = e; else links[2 * tail + 1] = e;
    tail = e;
  }

  private void unlink(int e) {
    int p = links[2 * e], n = links[2 * e + 1];
    if (p == NONE) head = n; else links[2 * p + 1] = n;
    if (n == NONE) tail = p; else links[2 * n] = p;
  }

  private void toTail(int e) {
    if (e == tail) return;
    unlink(e);
    linkLast(e);
  }
}
