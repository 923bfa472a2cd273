package dev.hicache.simulator.l3;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Stats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
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
 * <p>Layout, for the cache (a replay writes ~14 M pages, nearly each evicting one): the pages are
 * a log, one 64-byte record per use, in a ring (64-aligned, off the heap) of twice the pages (64 MB
 * for the simulator's 468,750): the key's four words, the page's shape, the index bucket holding
 * the page's word, and up to {@value #INLINE_BYTES} bytes of the page (a stub page fits: kept, not
 * regenerated). The index is buckets of one 64-byte line, up to 15 four-byte words each
 * ({@code fingerprint | log position}), packed, and a count of the entries that passed the bucket
 * full (a lookup reads one line, rarely more; 4 MB). A write of a new page appends its record; a
 * use (a read, a rewrite) copies the page's record to the log's end, marks the old one stale and
 * points the page's word (in the bucket the lookup has just read) at the copy; the least recently
 * used page is the oldest record not stale. An eviction takes that record, read in order, and
 * leaves the victim's word in its bucket: a word whose position is no longer in the log is dead,
 * skipped by lookups, dropped by a full bucket that needs the room, and swept from the buckets in
 * turn, each once per log's worth of appends, long before positions (kept modulo four logs) could
 * make it look live again. Only a word stored beyond its home bucket goes at once, with the counts
 * of the buckets it passed. So a replay's stream of new pages writes the log in order, reads its
 * oldest records in order, and touches one line at random per page: the new key's home bucket,
 * loaded before the batch with the batch's others, independent loads the processor overlaps. The
 * linked LRU list this replaced also unlinked each use from two neighbours anywhere in memory, and
 * per eviction read the victim's links, bucket and line, its coming victims found by a chain of
 * dependent loads (docs/benchmarks.md, "The LRU model as a log"). When the ring is full (seldom:
 * evictions consume the oldest records) the pages' records are moved down in order over the stale
 * ones. No object and no allocation per call but the answer array. Thread-safe (one monitor).
 */
public final class LocalLruL3Model implements L3Store {
  /** Page bytes kept in the page's own record; larger pages (or a 255th shape) go to a side array. */
  static final int INLINE_BYTES = 24;
  // A record: the key's four words, the shape (STALE_SHAPE once superseded or removed), where the
  // page's index word is (its bucket << 1, | 1 when that is not the key's home bucket), the bytes.
  private static final long LINE = 64, SHAPE_AT = 32, WHERE_AT = 36, VALUE_AT = 40;
  private static final int OVERFLOW = -1, STALE_SHAPE = -2, MAX_SHAPES = 254;
  // A bucket's last int: the entries that passed it full (<< 4) and the words it holds (low 4 bits).
  private static final int BUCKET_SLOTS = 15, META_AT = 60;
  // The largest log: a word's position (4 x the records) must fit beside a fingerprint bit.
  private static final int MAX_LOG_RECORDS = 1 << 29;
  // The first window of an existence query's keys loaded ahead (it doubles with each window that all hit).
  private static final int EXISTS_WINDOW = 8;
  // The store's page header: magic, checksum, part count, key, then 4 bytes per part size, 64-aligned
  // (LocalL3Config's headerBytes; a page fits its slot when header + bytes <= slotBytes).
  private static final int SLOT_HEADER_FIXED = 56;
  // Every access is at a multiple of its size from a 64-aligned base, so the aligned layouts' check
  // of each address (an and and a branch per access, on the replay thread's hottest loads) can never
  // fail: the unaligned layouts read and write the same bytes without it (docs/benchmarks.md).
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

  private final LocalL3Config config;
  private final int slotCount, slotBytes, maxParts;
  // The index: buckets of one line, up to BUCKET_SLOTS words (fingerprint << positionBits | the
  // page's record's log position & positionMask) packed from the first slot, and, last, how many
  // words it holds and how many entries stored beyond this bucket have their home here or before it
  // (a lookup goes on only while that is not 0). A word whose position is not in [first, next) is
  // dead: its page was evicted, and it is dropped when its bucket is swept or needs the room.
  private final MemorySegment buckets;
  private final int bucketCount, bucketMask, positionBits, positionMask, fingerprintMask;
  // The fingerprint bits of two words side by side in a long (see mayHold).
  private final long fingerprintLanes;
  private static final long LANES = 0x0000_0001_0000_0001L;
  private final Arena arena;
  // The log: records from position `first` (the oldest) to `next`; positions count up and wrap, a
  // record's slot in the ring is its position & logMask. Each page held has exactly one record that
  // is not stale, the one its index word names.
  private final MemorySegment log;
  private final int logRecords, logMask;
  private int first, next;
  // The sweep of dead words: bucket `sweepAt` is next; one bucket per logRecords / bucketCount appends.
  private int sweepAt;
  private long sweepDebt;
  private int size;
  private byte[][][] overflow; // pages not kept inline, by record (made on first need)
  // Interned part-size lists: a page's shape id is its index here.
  private final int[][] shapes = new int[MAX_SHAPES][];
  private int shapeCount;
  // The shape of the last page written inline, or -1: a run of pages of one shape (a replay's stub
  // pages) is matched against it first.
  private int lastShape = -1;
  private boolean closed;
  // Per batch: its keys and pages, copied by the batch's check (the lists are walked once), and
  // each key's hash. Overwritten by the next batch.
  private final PageKey[] batchKeys = new PageKey[MAX_BATCH_PAGES];
  private final MemorySegment[][] batchPages = new MemorySegment[MAX_BATCH_PAGES][];
  private final long[] hashes = new long[MAX_BATCH_PAGES];
  private int prefetched;
  private long stored, alreadyPresent, read, evictions, tooLarge;
  private long compactions; // for tests: a small log must have been compacted

  /**
   * A model of {@code LocalL3Store.open(config)}: {@code config} must be process-private with
   * {@link LocalL3Config.Eviction#LRU} eviction (the only mode this models).
   */
  public LocalLruL3Model(LocalL3Config config) {
    this(config, defaultBuckets(config.slotCount()), defaultLogRecords(config.slotCount()));
  }

  /** At most half full on average (7.5 of 15 slots a bucket): a bucket overflows rarely. */
  private static int defaultBuckets(int slotCount) {
    int bucketCount = 1;
    while (bucketCount * (BUCKET_SLOTS / 2.0) < slotCount) bucketCount <<= 1;
    return bucketCount;
  }

  /**
   * Room for twice the pages, a power of two (at most {@value #MAX_LOG_RECORDS}): a compaction
   * keeps at most the pages held, so at least as many appends as there are pages come between two
   * of them (amortised O(1)), and in a replay, where evictions consume the oldest records, the ring
   * seldom fills at all.
   */
  static int defaultLogRecords(int slotCount) {
    return slotCount > MAX_LOG_RECORDS / 2 ? MAX_LOG_RECORDS : Integer.highestOneBit(Math.max(1, 2 * slotCount - 1)) << 1;
  }

  /** With {@code bucketCount} buckets (a power of two with room for every page): tests crowd them to overflow. */
  LocalLruL3Model(LocalL3Config config, int bucketCount) {
    this(config, bucketCount, defaultLogRecords(config.slotCount()));
  }

  /**
   * With {@code bucketCount} buckets and a log of {@code logRecords} records (a power of two above
   * the page count, so that a compaction always frees a slot): tests make it small to compact often.
   */
  LocalLruL3Model(LocalL3Config config, int bucketCount, int logRecords) {
    if (!config.isProcessPrivate() || config.eviction() != LocalL3Config.Eviction.LRU) {
      throw new IllegalArgumentException("the LRU model of the embedded L3 models the process-private store with lru"
          + " eviction only, not " + (config.isProcessPrivate() ? "process-private" : "shared at " + config.directory())
          + " with " + config.eviction().flagName());
    }
    this.config = config;
    this.slotCount = config.slotCount();
    this.slotBytes = config.slotBytes();
    this.maxParts = config.maxParts();
    if (Integer.bitCount(bucketCount) != 1 || (long) BUCKET_SLOTS * bucketCount <= slotCount) {
      throw new IllegalArgumentException(bucketCount + " buckets is not a power of two with room for " + slotCount + " pages");
    }
    if (Integer.bitCount(logRecords) != 1 || logRecords <= slotCount || logRecords > MAX_LOG_RECORDS) {
      throw new IllegalArgumentException("a log of " + logRecords + " records is not a power of two above " + slotCount
          + " pages and at most " + MAX_LOG_RECORDS);
    }
    this.bucketCount = bucketCount;
    this.bucketMask = bucketCount - 1;
    // Positions modulo 4 x the log: when a word dies the log's end is at most one log past its
    // position, and its bucket is swept within one more log of appends, so the end is at most two
    // logs past it when it goes: its position never comes round into the log (no word looks live
    // that is not; docs/design.md#metadata-only-simulation).
    this.positionBits = Integer.numberOfTrailingZeros(logRecords) + 2;
    this.positionMask = (int) ((1L << positionBits) - 1);
    this.fingerprintMask = (int) ((1L << (32 - positionBits)) - 1);
    this.fingerprintLanes = (~positionMask & 0xFFFF_FFFFL) * LANES;
    this.arena = Arena.ofShared();
    this.buckets = arena.allocate(LINE * bucketCount, LINE);
    this.log = arena.allocate(LINE * logRecords, LINE);
    this.logRecords = logRecords;
    this.logMask = logRecords - 1;
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
    L3Store.checkBatchInto(keys, batchKeys);
    open();
    // Key by key up to the first miss, as the store, but with a window of keys ahead loaded first
    // (their buckets, then the records their words name), growing from a few keys: an answer is
    // often short, and a page held costs two dependent misses when looked up alone.
    int n = keys.size(), run = 0;
    for (int window = EXISTS_WINDOW; run < n; window <<= 1) {
      int end = Math.min(n, run + window);
      loadHomes(run, end);
      loadRecords(run, end);
      for (; run < end; run++) if (find(batchKeys[run], hashes[run]) < 0) return run;
    }
    return run;
  }

  @Override public synchronized boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkPageBatchInto(keys, targets, batchKeys, batchPages);
    open();
    int n = keys.size();
    loadHomes(0, n); // a read follows an existence query, which has loaded the records
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) {
      long at = find(batchKeys[i], hashes[i]);
      if (at < 0) continue;
      if (!readInto(recordAt(at), batchPages[i])) continue; // another shape: a miss that changes nothing
      read++;
      touch(at);
      out[i] = true;
    }
    return out;
  }

  @Override public synchronized boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkPageBatchInto(keys, sources, batchKeys, batchPages);
    open();
    int n = keys.size();
    loadHomes(0, n);
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) out[i] = write(batchKeys[i], hashes[i], batchPages[i]);
    return out;
  }

  @Override public synchronized boolean remove(PageKey key) {
    L3Store.checkKey(key);
    open();
    long at = find(key, hash(key));
    if (at < 0) return false;
    int r = recordAt(at);
    unindex(wordAt(at), r);
    log.set(INT, r * LINE + SHAPE_AT, STALE_SHAPE);
    return true;
  }

  @Override public synchronized void clear() {
    open();
    buckets.fill((byte) 0);
    first = next = size = sweepAt = 0;
    sweepDebt = 0;
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

  /** How many times the log was compacted (for tests). */
  synchronized long compactions() {
    return compactions;
  }

  /** Visits every key held, least recently used first. */
  public synchronized void forEachKeyInLruOrder(Consumer<PageKey> visitor) {
    open();
    List<PageKey> keys = new ArrayList<>(size);
    for (int p = first; p != next; p++) {
      int r = p & logMask;
      if (log.get(INT, r * LINE + SHAPE_AT) != STALE_SHAPE) keys.add(keyOf(r));
    }
    keys.forEach(visitor);
  }

  private void open() {
    if (closed) throw new IllegalStateException("process-private local L3 is closed");
  }

  // ------------------------------------------------------------------ pages

  private boolean write(PageKey key, long h, MemorySegment[] parts) {
    long at = find(key, h);
    if (at >= 0) {
      alreadyPresent++;
      touch(at); // a write of a present page is a use; its bytes stay
      return true;
    }
    // A page of the last inline page's shape fits (a shape is only interned for a page that did).
    int shape = lastShape;
    if (shape < 0 || !sameShape(shapes[shape], parts)) {
      long bytes = 0;
      for (MemorySegment p : parts) bytes += p.byteSize();
      if (parts.length > maxParts || headerBytes(parts.length) + bytes > slotBytes) {
        tooLarge++;
        return false;
      }
      shape = bytes <= INLINE_BYTES ? shapeOf(parts) : OVERFLOW;
      if (shape != OVERFLOW) lastShape = shape;
    }
    if (size == slotCount) {
      evictOldest();
      evictions++;
    }
    if (next - first == logRecords) compact();
    int position = next++, r = position & logMask;
    long base = r * LINE;
    log.set(LONG, base, key.word(0));
    log.set(LONG, base + 8, key.word(1));
    log.set(LONG, base + 16, key.word(2));
    log.set(LONG, base + 24, key.word(3));
    log.set(INT, base + SHAPE_AT, shape);
    if (shape != OVERFLOW) {
      int[] sizes = shapes[shape];
      long off = base + VALUE_AT;
      for (int p = 0; p < sizes.length; p++) {
        copyIn(parts[p], off, sizes[p]);
        off += sizes[p];
      }
    } else {
      if (overflow == null) overflow = new byte[logRecords][][];
      byte[][] kept = new byte[parts.length][];
      for (int p = 0; p < parts.length; p++) kept[p] = parts[p].toArray(ValueLayout.JAVA_BYTE);
      overflow[r] = kept;
    }
    log.set(INT, base + WHERE_AT, place(position, h));
    size++;
    stored++;
    sweep();
    return true;
  }

  /** Copies record {@code r}'s page into {@code t} if the shapes match; false (nothing copied) if not. */
  private boolean readInto(int r, MemorySegment[] t) {
    long base = r * LINE;
    int shape = log.get(INT, base + SHAPE_AT);
    if (shape == OVERFLOW) {
      byte[][] kept = overflow[r];
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
      copyOut(off, t[p], sizes[p]);
      off += sizes[p];
    }
    return true;
  }

  /**
   * Small copies as long moves (a stub page is 8 + 16 bytes); the bytes land as MemorySegment.copy
   * would put them. One method per direction: each sees one kind of segment on each side.
   */
  private void copyIn(MemorySegment src, long logOff, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) log.set(LONG, logOff + i, src.get(ValueLayout.JAVA_LONG_UNALIGNED, i));
    for (; i < n; i++) log.set(ValueLayout.JAVA_BYTE, logOff + i, src.get(ValueLayout.JAVA_BYTE, i));
  }

  private void copyOut(long logOff, MemorySegment dst, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) dst.set(ValueLayout.JAVA_LONG_UNALIGNED, i, log.get(LONG, logOff + i));
    for (; i < n; i++) dst.set(ValueLayout.JAVA_BYTE, i, log.get(ValueLayout.JAVA_BYTE, logOff + i));
  }

  /** Whether the parts have these sizes. */
  private static boolean sameShape(int[] sizes, MemorySegment[] parts) {
    if (sizes.length != parts.length) return false;
    for (int p = 0; p < sizes.length; p++) if (sizes[p] != parts[p].byteSize()) return false;
    return true;
  }

  /** The id of the parts' sizes, interned on first sight; OVERFLOW once MAX_SHAPES are taken. */
  private int shapeOf(MemorySegment[] parts) {
    for (int s = shapeCount - 1; s >= 0; s--) if (sameShape(shapes[s], parts)) return s;
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

  private PageKey keyOf(int r) {
    byte[] b = new byte[PageKey.BYTES];
    for (int w = 0; w < 4; w++) {
      long v = log.get(LONG, r * LINE + 8L * w);
      for (int i = 0; i < 8; i++) b[8 * w + i] = (byte) (v >>> (56 - 8 * i));
    }
    return PageKey.ofDigest(b);
  }

  // ------------------------------------------------------------------ index

  /** A 64-bit hash of all four words: SHA-256 digests are uniform in any word, test keys may differ in one. */
  static long hash(long k0, long k1, long k2, long k3) {
    long h = k0 ^ Long.rotateLeft(k1, 17) ^ Long.rotateLeft(k2, 31) ^ Long.rotateLeft(k3, 47);
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  private static long hash(PageKey k) {
    return hash(k.word(0), k.word(1), k.word(2), k.word(3));
  }

  private int home(long h) {
    return (int) h & bucketMask;
  }

  private int fingerprint(long h) {
    return (int) (h >>> 40) & fingerprintMask;
  }

  /** The byte offset in {@link #buckets} of the word at a position {@link #find} returned ({@code bucket * BUCKET_SLOTS + slot}). */
  private static long wordAt(long at) {
    return (at / BUCKET_SLOTS) * LINE + 4 * (at % BUCKET_SLOTS);
  }

  /** The record whose word is at a position {@link #find} returned. */
  private int recordAt(long at) {
    return buckets.get(INT, wordAt(at)) & logMask;
  }

  /** Whether a word's position is a record in the log, from {@link #first} to {@link #next}: the word is not dead. */
  private boolean live(int word) {
    return ((word - first) & positionMask) < next - first;
  }

  /** The position of {@code key} (hash {@code h}), {@code bucket * BUCKET_SLOTS + slot}, or -1. */
  private long find(PageKey key, long h) {
    int fp = fingerprint(h);
    long pattern = ((fp << positionBits) & 0xFFFF_FFFFL) * LANES;
    for (int b = home(h), seen = 0; seen <= bucketMask; b = (b + 1) & bucketMask, seen++) {
      long base = b * LINE;
      int meta = buckets.get(INT, base + META_AT), count = meta & 0xF;
      if (!mayHold(base, pattern)) {
        if (meta >>> 4 == 0) return -1;
        continue;
      }
      for (int s = 0; s < count; s++) {
        int word = buckets.get(INT, base + 4 * s);
        if (word >>> positionBits == fp && live(word)) {
          long rec = (word & logMask) * LINE;
          if (log.get(LONG, rec) == key.word(0) && log.get(LONG, rec + 8) == key.word(1)
              && log.get(LONG, rec + 16) == key.word(2)
              && log.get(LONG, rec + 24) == key.word(3)) {
            return (long) b * BUCKET_SLOTS + s;
          }
        }
      }
      if (meta >>> 4 == 0) return -1;
    }
    return -1;
  }

  /**
   * Whether any word of the bucket at {@code base} may have the fingerprint of {@code pattern} (it
   * in both halves of a long): the line read as eight longs, each tested for a 32-bit half whose
   * fingerprint bits are equal, without a branch per word. A false yes (an empty slot's zero, the
   * bucket's last int) only sends the lookup through the word-by-word loop; a no is exact. Most
   * lookups in a replay are of new pages, which this answers without that loop.
   */
  private boolean mayHold(long base, long pattern) {
    long any = 0;
    for (int j = 0; j < LINE; j += 8) {
      long t = (buckets.get(LONG, base + j) ^ pattern) & fingerprintLanes;
      any |= (t - LANES) & ~t; // a half that is 0 sets its top bit (a borrow into the upper half only when the lower is 0)
    }
    return (any & (LANES << 31)) != 0;
  }

  /**
   * Puts the word of the record at log position {@code position} into the first bucket from its
   * home on with room (a full bucket first drops its dead words); returns where (bucket << 1 | not home).
   */
  private int place(int position, long h) {
    int word = fingerprint(h) << positionBits | (position & positionMask);
    int home = home(h);
    for (int b = home; ; b = (b + 1) & bucketMask) {
      long base = b * LINE;
      int meta = buckets.get(INT, base + META_AT);
      if ((meta & 0xF) == BUCKET_SLOTS) meta = dropDead(b);
      int count = meta & 0xF;
      if (count < BUCKET_SLOTS) {
        buckets.set(INT, base + 4 * count, word);
        buckets.set(INT, base + META_AT, meta + 1);
        return b << 1 | (b == home ? 0 : 1);
      }
      buckets.set(INT, base + META_AT, meta + (1 << 4));
    }
  }

  /** Drops bucket {@code b}'s dead words, keeping the others packed; returns its new meta word. */
  private int dropDead(int b) {
    long base = b * LINE;
    int meta = buckets.get(INT, base + META_AT), count = meta & 0xF, kept = 0;
    for (int s = 0; s < count; s++) {
      int word = buckets.get(INT, base + 4 * s);
      if (live(word)) buckets.set(INT, base + 4 * kept++, word);
    }
    for (int s = kept; s < count; s++) buckets.set(INT, base + 4 * s, 0);
    meta = meta - count + kept;
    buckets.set(INT, base + META_AT, meta);
    return meta;
  }

  /**
   * After each append: sweeps the buckets in turn, one per logRecords / bucketCount appends, so a
   * dead word is dropped within one log's appends of its page's eviction, long before its position
   * (modulo 4 logs) could come round into the log again.
   */
  private void sweep() {
    sweepDebt += bucketCount;
    while (sweepDebt >= logRecords) {
      sweepDebt -= logRecords;
      dropDead(sweepAt);
      sweepAt = (sweepAt + 1) & bucketMask;
    }
  }

  /** The byte offset in {@link #buckets} of the word of the record at log position {@code position}, in bucket {@code b}. */
  private long wordOf(int position, int b) {
    long base = b * LINE;
    int s = 0;
    while ((buckets.get(INT, base + 4 * s) & positionMask) != (position & positionMask)) s++;
    return base + 4 * s;
  }

  /**
   * Takes the page of record {@code r}, whose word is at byte {@code word} of the index, out of the
   * index; the record itself stays as it is (the caller marks it stale or moves past it). When it
   * was stored beyond its home, the key gives the home, whose buckets up to it stop counting it.
   */
  private void unindex(long word, int r) {
    long rec = r * LINE;
    int where = log.get(INT, rec + WHERE_AT);
    int b = where >>> 1;
    long base = b * LINE;
    int meta = buckets.get(INT, base + META_AT);
    long last = base + 4 * ((meta & 0xF) - 1);
    // The bucket's last word fills the gap: words stay packed (their records' bucket is unchanged).
    buckets.set(INT, word, buckets.get(INT, last));
    buckets.set(INT, last, 0);
    buckets.set(INT, base + META_AT, meta - 1);
    if ((where & 1) != 0) unpass(r, b);
    size--;
    if (overflow != null) overflow[r] = null;
  }

  /** The buckets from record {@code r}'s key's home up to {@code b}, where its word was, stop counting it as passed. */
  private void unpass(int r, int b) {
    long rec = r * LINE;
    int home = home(hash(log.get(LONG, rec), log.get(LONG, rec + 8), log.get(LONG, rec + 16), log.get(LONG, rec + 24)));
    for (int p = home; p != b; p = (p + 1) & bucketMask) {
      buckets.set(INT, p * LINE + META_AT, buckets.get(INT, p * LINE + META_AT) - (1 << 4));
    }
  }

  /**
   * Before a batch's lookups: each key's hash (kept for the batch) and home bucket loaded,
   * independent loads the processor overlaps instead of one cold line after another.
   */
  private void loadHomes(int from, int to) {
    long[] hs = hashes;
    PageKey[] ks = batchKeys;
    for (int k = from; k < to; k++) hs[k] = hash(ks[k]);
    // A loop of its own: a few instructions per load, so many misses are in flight at once.
    int acc = 0;
    for (int k = from; k < to; k++) acc += buckets.get(INT, home(hs[k]) * LINE);
    prefetched = acc; // a use, so the loads are not dropped
  }

  /**
   * After {@link #loadHomes}, for lookups that will mostly hit (an existence query): the records
   * named by the live words of each key's home bucket whose fingerprint matches, loaded the same way.
   */
  private void loadRecords(int from, int to) {
    int acc = 0;
    for (int k = from; k < to; k++) {
      long h = hashes[k], base = home(h) * LINE;
      int fp = fingerprint(h), count = buckets.get(INT, base + META_AT) & 0xF;
      for (int s = 0; s < count; s++) {
        int word = buckets.get(INT, base + 4 * s);
        if (word >>> positionBits == fp && live(word)) acc += log.get(INT, (word & logMask) * LINE);
      }
    }
    prefetched += acc;
  }

  // ------------------------------------------------------------------ LRU

  /**
   * A use of the page whose word is at {@code at}: its record is copied to the log's end (unless
   * it is the newest already), the old one marked stale and the word pointed at the copy.
   */
  private void touch(long at) {
    long word = wordAt(at);
    int r = recordAt(at);
    if (r == ((next - 1) & logMask)) return;
    if (next - first == logRecords) {
      compact(); // moves the page's record too
      r = recordAt(at);
      if (r == ((next - 1) & logMask)) return;
    }
    int position = next++, to = position & logMask;
    MemorySegment.copy(log, r * LINE, log, to * LINE, LINE);
    log.set(INT, r * LINE + SHAPE_AT, STALE_SHAPE);
    buckets.set(INT, word, buckets.get(INT, word) & ~positionMask | (position & positionMask));
    if (overflow != null) {
      overflow[to] = overflow[r];
      overflow[r] = null;
    }
    sweep(); // after the word is set: a sweep moves words in their bucket
  }

  /**
   * Takes the least recently used page (the oldest record not stale; the store is not empty) out.
   * Its word is left to die with the log position (no line of the index read), unless it was
   * stored beyond its home: then it goes now, with the counts of the buckets it passed.
   */
  private void evictOldest() {
    int position;
    do position = first++; while (log.get(INT, (position & logMask) * LINE + SHAPE_AT) == STALE_SHAPE);
    int r = position & logMask, where = log.get(INT, r * LINE + WHERE_AT);
    if ((where & 1) != 0) {
      unindex(wordOf(position, where >>> 1), r);
    } else {
      size--;
      if (overflow != null) overflow[r] = null;
    }
  }

  /**
   * Drops the stale records, moving the others down in order from {@link #first} on (each to a
   * slot already read, so in place), and points each moved page's word at its new record.
   */
  private void compact() {
    compactions++;
    int to = first;
    for (int p = first; p != next; p++) {
      int r = p & logMask;
      if (log.get(INT, r * LINE + SHAPE_AT) == STALE_SHAPE) continue;
      if (to != p) {
        int t = to & logMask;
        MemorySegment.copy(log, r * LINE, log, t * LINE, LINE);
        long word = wordOf(p, log.get(INT, r * LINE + WHERE_AT) >>> 1);
        buckets.set(INT, word, buckets.get(INT, word) & ~positionMask | (to & positionMask));
        if (overflow != null) {
          overflow[t] = overflow[r];
          overflow[r] = null;
        }
      }
      to++;
    }
    next = to;
  }
}
