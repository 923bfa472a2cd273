package dev.hicache.l3.local;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.hicache.api.PageKey;
import dev.hicache.api.metrics.HiCacheMetric;
import dev.hicache.api.spi.L3Exception;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.spi.MetricsSink;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The embedded L3: pages persisted in one folder and shared by every process of the machine that
 * opens it. The default L3 when no Mooncake is configured.
 *
 * <p>Or, {@linkplain LocalL3Config#processPrivate process-private}: the same slot layout, write
 * protocol, slot words, checksums, verification and eviction, with the slab in anonymous memory
 * and the index an on-heap table ({@link HeapPageIndex}); no folder, no lock file, no recovery,
 * nothing shared with other processes or kept after close. For one engine process that does not
 * need persistence (and the simulator).
 *
 * <h2>Files</h2>
 * {@code index.cmap} (a Chronicle Map: page key → slot, generation, length, checksum), {@code
 * slab.dat} (memory-mapped fixed-size slots, see {@link SlabFile}) and {@code store.lock}.
 *
 * <h2>Write protocol (crash safety)</h2>
 * <ol>
 *   <li>claim a free slot by compare-and-set of its word: {@code FREE → WRITING(generation+1, pid)};
 *   <li>write the page header (magic, part count, key, part sizes) and the parts into the slot;
 *       checksum the whole slot bytes (so the key and every part are covered together); optionally
 *       force them to disk;
 *   <li>publish the index entry with {@code putIfAbsent} — the page exists from here on;
 *   <li>mark the slot {@code COMMITTED}; then acknowledge ({@code true}).
 * </ol>
 * A writer killed before 4 leaves a {@code WRITING} slot and never acknowledged the page: recovery
 * frees it. After 4 the slot is {@code COMMITTED} and holds its own checksum, so recovery can
 * republish it whatever state the killed process left the index in. Readers verify every page
 * (checksum over key, part sizes and bytes; the slot's generation before and after the copy), so
 * no crash point yields a page with wrong bytes.
 *
 * <h2>Recovery</h2>
 * On open, each process takes a shared lock on {@code store.lock}. The process that finds no other
 * holder is alone: it makes a new index file and rebuilds it from the slab's committed slots
 * (Chronicle Map files are not crash-safe under kill -9: a killed process can leave a segment
 * locked or half updated), and frees every unfinished slot. A process that opens while others are
 * open reclaims only slots whose writer process is gone.
 *
 * <h2>Eviction</h2>
 * A Caffeine cache per process (W-TinyLFU admission, weighed by the slab bytes a page occupies)
 * tracks the pages this process wrote or read; what it evicts is removed from the store and its
 * slot freed. If the slab runs out of slots (other processes filled it), the coldest page known
 * here is evicted, and failing that any committed page. The process-private store may instead
 * evict exactly least-recently-used ({@link LocalL3Config.Eviction#LRU}, {@link SlotLru}), bounded
 * by the whole slab.
 */
public final class LocalL3Store implements L3Store {
  private static final int SLOT_MAGIC = 0x4C33_5047; // "L3PG"
  // A slot's header. The checksum covers [PARTS_AT, length): part count, key, part sizes, parts.
  // It is kept in the slot as well as in the index so that the index can be rebuilt from the slab.
  private static final long CHECKSUM_AT = 8, PARTS_AT = 16, KEY_AT = 24, SIZES_AT = LocalL3Config.SLOT_HEADER_FIXED;
  private static final Set<Path> OPEN_IN_THIS_JVM = ConcurrentHashMap.newKeySet();
  private static final int ALLOCATION_ATTEMPTS = 64;

  private final LocalL3Config config;
  private final Path directory; // null: process-private
  private final FileChannel lockChannel; // null: process-private
  private final FileLock usersLock; // null: process-private
  private final SlabFile slab;
  private final PageIndex index;
  private final MetricsSink metrics;
  private final Cache<PageKey, Integer> policy; // W-TinyLFU, else null
  private final SlotLru lru; // LRU (process-private only), else null
  // Process-private: the index's monitor, held for a whole batch (the index's own and the LRU's
  // critical sections then nest in it at the cost of a recursive lock); null when shared.
  private final Object privateLock;
  private final int pid = (int) ProcessHandle.current().pid();
  private final AtomicInteger cursor = new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 20));
  // Slots this process freed, tried first by the next allocations: in steady state every write is
  // preceded by an eviction, so a write finds its slot without scanning a full slab (O(1), not O(slots)).
  private static final int MAX_FREED_HINTS = 4096;
  private final ConcurrentLinkedQueue<Integer> freedHints = new ConcurrentLinkedQueue<>();
  private final AtomicInteger freedHintCount = new AtomicInteger();
  // Process-private: every free slot on a plain stack, used under privateLock (no node or boxing per
  // free): it starts with all slots (lowest on top) and a claim always pops, filling or full alike.
  private final int[] freedStack;
  private int freedTop;
  // Process-private, slots up to IMAGE_MAX_BYTES: a page is assembled (written) or verified (read)
  // in this heap image and moved to or from its slot in one copy. The slot holds the same bytes
  // either way; on small pages the per-field native accesses cost more than the page.
  static final int IMAGE_MAX_BYTES = 64 * 1024;
  private final byte[] image;
  private final ByteBuffer imageView;
  // The image as a segment, made once: copies between it and a slot or a caller's part are then
  // segment to segment (a copy naming the array itself looks up the array's kind on every call).
  private final MemorySegment imageSegment;
  // Process-private LRU: the next victims of a batch of writes (see prefetch), and a sink for its loads.
  private final int[] victimScratch = new int[L3Store.MAX_BATCH_PAGES];
  private long prefetched;
  private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private final LongAdder stored = new LongAdder(), alreadyPresent = new LongAdder(), read = new LongAdder();
  private final LongAdder mismatches = new LongAdder(), stale = new LongAdder(), evictions = new LongAdder();
  private final LongAdder tooLarge = new LongAdder(), full = new LongAdder();
  private final LongAdder recoveredCommitted = new LongAdder(), recoveredFreed = new LongAdder();

  private LocalL3Store(LocalL3Config config, Path directory, FileChannel lockChannel, FileLock usersLock, SlabFile slab,
      PageIndex index, MetricsSink metrics) {
    this.config = config;
    this.directory = directory;
    this.lockChannel = lockChannel;
    this.usersLock = usersLock;
    this.slab = slab;
    this.index = index;
    this.metrics = metrics;
    this.privateLock = directory == null ? index : null;
    this.freedStack = directory == null ? new int[slab.slotCount] : null;
    if (freedStack != null) {
      for (int i = 0; i < freedStack.length; i++) freedStack[i] = freedStack.length - 1 - i;
      freedTop = freedStack.length;
    }
    this.image = directory == null && slab.slotBytes <= IMAGE_MAX_BYTES ? new byte[slab.slotBytes] : null;
    this.imageView = image == null ? null : ByteBuffer.wrap(image).order(ByteOrder.nativeOrder());
    this.imageSegment = image == null ? null : MemorySegment.ofArray(image);
    if (config.eviction() == LocalL3Config.Eviction.LRU) {
      this.lru = new SlotLru(slab.slotCount);
      this.policy = null;
      return;
    }
    this.lru = null;
    this.policy = Caffeine.newBuilder()
        // A few slots short of the slab, so that Caffeine's admission (not a full slab) decides
        // what goes: a new page gets a slot first and is then admitted or not.
        .maximumWeight((long) Math.max(1, slab.slotCount - reserveSlots(slab.slotCount)) * slab.slotBytes)
        .weigher((PageKey k, Integer w) -> w)
        .executor(Runnable::run)
        .removalListener((PageKey k, Integer w, RemovalCause cause) -> {
          if (k != null && cause.wasEvicted() && !closed && dropPage(k)) count(evictions, HiCacheMetric.L3_EVICTIONS.key(), null);
        })
        .build();
  }

  /** Slots kept free of Caffeine's bound for writes in flight (one per concurrent writer at most). */
  static int reserveSlots(int slotCount) {
    return Math.min(slotCount / 8, 256);
  }

  /** Opens (creating if needed) the store in {@code config.directory()}. */
  public static LocalL3Store open(LocalL3Config config) {
    return open(config, MetricsSink.NONE);
  }

  /**
   * Opens (creating if needed) the store in {@code config.directory()}, reporting to {@code
   * metrics}; or, for a {@linkplain LocalL3Config#processPrivate process-private} config, makes a
   * new empty store in this process's memory.
   */
  public static LocalL3Store open(LocalL3Config config, MetricsSink metrics) {
    if (config.isProcessPrivate()) return openPrivate(config, metrics);
    // Before anything is created: without these flags Chronicle Map fails deep inside, after the
    // slab file has been made.
    List<String> missing = missingChronicleFlags();
    if (!missing.isEmpty()) {
      throw new IllegalStateException("local L3: the persistent store (Chronicle Map) needs these JVM flags on Java "
          + Runtime.version().feature() + ", missing here: " + String.join(" ", missing) + " (all of them: "
          + String.join(" ", CHRONICLE_FLAGS) + "; hicache-l3-local/README.md); nothing was created in "
          + config.directory());
    }
    Path dir;
    boolean madeDir = !Files.exists(config.directory(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    try {
      if (Files.exists(config.directory()) && !Files.isDirectory(config.directory())) {
        throw new IllegalArgumentException("local L3: directory " + config.directory() + " is not a directory");
      }
      Files.createDirectories(config.directory());
      dir = config.directory().toRealPath();
      for (String f : List.of("store.lock", "slab.dat", "index.cmap")) {
        dev.hicache.api.io.SafeOutput.requireRegularOrAbsent(dir.resolve(f));
      }
    } catch (dev.hicache.api.io.SafeOutput.RefusedException e) {
      throw new IllegalArgumentException("local L3: " + e.target() + " " + e.getMessage()
          + "; the store keeps its files there and never opens anything else", e);
    } catch (IOException e) {
      throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "local L3: cannot create or open the folder " + config.directory(), e);
    }
    boolean madeSlab = !Files.exists(dir.resolve("slab.dat"));
    boolean madeLock = !Files.exists(dir.resolve("store.lock"));
    if (!OPEN_IN_THIS_JVM.add(dir)) {
      throw new IllegalStateException("local L3 at " + dir + " is already open in this process; share that store instance");
    }
    FileChannel ch = null;
    SlabFile slab = null;
    PageIndex index = null;
    try {
      ch = FileChannel.open(dir.resolve("store.lock"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      // Byte 0 is the open gate (one opener at a time); byte 1 is held shared by every open store.
      try (FileLock gate = ch.lock(0, 1, false)) {
        FileLock probe = ch.tryLock(1, 1, false);
        boolean alone = probe != null;
        if (probe != null) probe.release();
        FileLock users = ch.lock(1, 1, true);
        slab = SlabFile.open(dir.resolve("slab.dat"), config.slotBytes(), config.slotCount());
        long entries = config.slotCount() + config.slotCount() / 4L + 1024;
        // Alone, the index is made anew and rebuilt from the slab (see recover).
        index = alone ? ChronicleIndex.create(dir.resolve("index.cmap").toFile(), entries)
            : ChronicleIndex.open(dir.resolve("index.cmap").toFile(), entries);
        LocalL3Store store = new LocalL3Store(config, dir, ch, users, slab, index, metrics);
        store.recover(alone);
        store.loadPolicy();
        return store;
      }
    } catch (IOException | RuntimeException e) {
      if (index != null) index.close();
      if (slab != null) slab.close();
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // the open failed already; that error is the one to report
        }
      }
      OPEN_IN_THIS_JVM.remove(dir);
      // Leave nothing behind that this failed open made (a new store's slab is as large as its capacity).
      removeMade(dir, madeDir, madeSlab, madeLock);
      if (e instanceof IllegalStateException || e instanceof IllegalArgumentException) throw (RuntimeException) e;
      throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "local L3: cannot open the store in " + dir + ": " + e, e);
    }
  }

  /** The JVM flags Chronicle Map needs on Java 25 (the analytics switch keeps it from phoning home). */
  public static final List<String> CHRONICLE_FLAGS = List.of("--add-opens java.base/java.lang=ALL-UNNAMED",
      "--add-opens java.base/java.lang.reflect=ALL-UNNAMED", "--add-exports java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-exports java.base/jdk.internal.ref=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
      "-Dchronicle.analytics.disable=true");

  /** The flags of {@link #CHRONICLE_FLAGS} this JVM was not started with (those that can be checked). */
  static List<String> missingChronicleFlags() {
    Module me = LocalL3Store.class.getModule();
    Module base = Object.class.getModule();
    List<String> missing = new ArrayList<>();
    if (!base.isOpen("java.lang", me)) missing.add("--add-opens java.base/java.lang=ALL-UNNAMED");
    if (!base.isOpen("java.lang.reflect", me)) missing.add("--add-opens java.base/java.lang.reflect=ALL-UNNAMED");
    if (!base.isExported("sun.nio.ch", me)) missing.add("--add-exports java.base/sun.nio.ch=ALL-UNNAMED");
    if (!base.isExported("jdk.internal.ref", me)) missing.add("--add-exports java.base/jdk.internal.ref=ALL-UNNAMED");
    ModuleLayer.boot().findModule("jdk.compiler").ifPresent(c -> {
      if (!c.isExported("com.sun.tools.javac.file", me)) {
        missing.add("--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED");
      }
    });
    if (!"true".equals(System.getProperty("chronicle.analytics.disable"))) missing.add("-Dchronicle.analytics.disable=true");
    return missing;
  }

  private static void removeMade(Path dir, boolean madeDir, boolean madeSlab, boolean madeLock) {
    try {
      if (madeSlab) Files.deleteIfExists(dir.resolve("slab.dat"));
      if (madeSlab) Files.deleteIfExists(dir.resolve("index.cmap"));
      if (madeLock) Files.deleteIfExists(dir.resolve("store.lock"));
      if (madeDir) Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // best effort: the open's own failure is the one to report
    }
  }

  private static LocalL3Store openPrivate(LocalL3Config config, MetricsSink metrics) {
    SlabFile slab = SlabFile.anonymous(config.slotBytes(), config.slotCount());
    try {
      // At most one entry per slot: sized once, the table never grows.
      return new LocalL3Store(config, null, null, null, slab, new HeapPageIndex(config.slotCount()), metrics);
    } catch (RuntimeException | OutOfMemoryError e) {
      slab.close();
      throw e;
    }
  }

  @Override public String name() {
    return "local";
  }

  @Override public Capabilities capabilities() {
    // Not zero-copy: pages are copied between the slab and the caller's segments.
    boolean shared = directory != null;
    return new Capabilities(false, shared, shared);
  }

  /** Whether this store is process-private (no folder: not shared, not persistent). */
  public boolean isProcessPrivate() {
    return directory == null;
  }

  /** Where the store is, for messages. */
  private String where() {
    return directory != null ? "local L3 at " + directory : "process-private local L3";
  }

  public LocalL3Config config() {
    return config;
  }

  /** The store's folder, or null for a process-private store. */
  public Path directory() {
    return directory;
  }

  public LocalL3Stats stats() {
    return new LocalL3Stats(stored.sum(), alreadyPresent.sum(), read.sum(), mismatches.sum(), stale.sum(), evictions.sum(),
        tooLarge.sum(), full.sum(), recoveredCommitted.sum(), recoveredFreed.sum());
  }

  /**
   * Faults the whole slab file into memory now, so that no write on the request path pays the file
   * system's first-touch page allocation (on tmpfs a cold slab takes writes at about a tenth of a
   * warm one's speed: docs/calibration.md#copies), and a folder whose file system cannot hold the
   * slab fails here with an error rather than under a later write. Reads one byte a page, in
   * parallel; contents are untouched and other processes may use the store meanwhile. A no-op for
   * the process-private mode (its slab is resident from the start).
   *
   * @return the bytes faulted in
   */
  public long prefault() {
    return guarded(slab::prefault);
  }

  /** The index, for tests in this package. */
  PageIndex index() {
    return index;
  }

  /** The slab, for tests in this package. */
  SlabFile slab() {
    return slab;
  }

  /** Pages in the index (all processes'). */
  public long size() {
    return guarded(index::size);
  }

  /** Visits the key of every page in the index (all processes'); weakly consistent. */
  public void forEachKey(java.util.function.Consumer<PageKey> visitor) {
    guarded(() -> {
      index.forEachKey(visitor);
      return null;
    });
  }

  // ------------------------------------------------------------------ the SPI

  @Override public int batchExists(List<PageKey> keys) {
    L3Store.checkBatch(keys, null);
    return guarded(() -> {
      int run = 0;
      for (PageKey k : keys) {
        long at = index.locate(k);
        if (at < 0 || !indexedHolds(at)) break;
        run++;
      }
      return run;
    });
  }

  @Override public boolean[] batchGet(List<PageKey> keys, List<MemorySegment[]> targets) {
    L3Store.checkPageBatch(keys, targets);
    return guarded(() -> {
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < out.length; i++) out[i] = readPage(keys.get(i), targets.get(i));
      return out;
    });
  }

  @Override public boolean[] batchSet(List<PageKey> keys, List<MemorySegment[]> sources) {
    L3Store.checkPageBatch(keys, sources);
    return guarded(() -> {
      if (lru != null) prefetch(keys);
      boolean[] out = new boolean[keys.size()];
      for (int i = 0; i < out.length; i++) out[i] = writePage(keys.get(i), sources.get(i));
      return out;
    });
  }

  @Override public boolean remove(PageKey key) {
    L3Store.checkKey(key);
    return guarded(() -> {
      if (policy != null) policy.invalidate(key);
      return dropPage(key);
    });
  }

  @Override public void clear() {
    guarded(() -> {
      List<PageKey> keys = new ArrayList<>();
      index.forEachKey(keys::add);
      for (PageKey k : keys) dropPage(k);
      if (policy != null) policy.invalidateAll();
      // Slots of pages whose entry was removed by a remover that then died.
      for (int s = 0; s < slab.slotCount; s++) {
        long w = slab.word(s);
        if (SlabFile.state(w) == SlabFile.COMMITTED && !referenced(s, w)) freeSlot(s, SlabFile.generation(w));
      }
      return null;
    });
  }

  @Override public void close() {
    closeLock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      try {
        index.close();
      } finally {
        slab.close();
        if (directory != null) {
          try {
            usersLock.release();
            lockChannel.close();
          } catch (IOException e) {
            // The lock goes with the process anyway; nothing is left half written.
          }
          OPEN_IN_THIS_JVM.remove(directory);
        }
      }
    } finally {
      closeLock.writeLock().unlock();
    }
  }

  // ------------------------------------------------------------------ pages

  private boolean writePage(PageKey key, MemorySegment[] parts) {
    long at = index.locate(key);
    if (at >= 0 && indexedHolds(at)) {
      alreadyPresent.increment();
      touch(key, PageIndex.slotOf(at), PageIndex.generationOf(at));
      return true;
    }
    if (at != PageIndex.ABSENT) {
      // A stale or damaged entry: drop it (if it is still the one found) and store the page anew.
      PageIndex.Entry e = index.get(key);
      if (e != null && !holds(e) && index.remove(key, e)) count(stale, HiCacheMetric.L3_READ_FAILURES.key(), "stale_entry");
    }
    long header = LocalL3Config.headerBytes(parts.length);
    long length = header;
    for (MemorySegment p : parts) length += p.byteSize();
    if (parts.length > config.maxParts() || length > slab.slotBytes) {
      count(tooLarge, HiCacheMetric.L3_WRITE_SKIPPED.key(), "too_large");
      return false;
    }
    if (lru != null) makeRoomLru();
    long claim = allocate();
    if (claim < 0) {
      count(full, HiCacheMetric.L3_WRITE_SKIPPED.key(), "full");
      return false;
    }
    int slot = (int) (claim >>> 32), gen = (int) claim;
    long checksum = image != null ? writeImage(slot, key, parts, (int) header, (int) length)
        : writeSlot(slab.slot(slot), key, parts, header, length);
    if (config.syncWrites()) slab.force(slot, length);
    PageIndex.Entry entry = new PageIndex.Entry(slot, gen, (int) length, checksum);
    if (index.putIfAbsent(key, entry) != null) {
      // Another writer (thread or process) published this page first.
      freeSlot(slot, gen);
      alreadyPresent.increment();
      return true;
    }
    slab.casWord(slot, SlabFile.word(SlabFile.WRITING, gen, pid), SlabFile.word(SlabFile.COMMITTED, gen, pid));
    stored.increment();
    if (policy != null) {
      policy.put(key, slab.slotBytes);
    } else {
      touch(key, slot, gen);
    }
    return true;
  }

  /** Writes the page header and parts into the slot and checksums them; returns the checksum. */
  private static long writeSlot(MemorySegment s, PageKey key, MemorySegment[] parts, long header, long length) {
    s.set(ValueLayout.JAVA_INT, 0, SLOT_MAGIC);
    s.set(ValueLayout.JAVA_INT, PARTS_AT, parts.length);
    MemorySegment.copy(key.bytes(), 0, s, ValueLayout.JAVA_BYTE, KEY_AT, PageKey.BYTES);
    long off = header;
    for (int p = 0; p < parts.length; p++) {
      s.set(ValueLayout.JAVA_INT, SIZES_AT + 4L * p, (int) parts[p].byteSize());
      MemorySegment.copy(parts[p], 0, s, off, parts[p].byteSize());
      off += parts[p].byteSize();
    }
    long checksum = SlotChecksum.of(s.asSlice(PARTS_AT, length - PARTS_AT));
    s.set(ValueLayout.JAVA_LONG, CHECKSUM_AT, checksum);
    return checksum;
  }

  /** {@link #writeSlot} through the heap image (process-private, under its lock): the same slot bytes. */
  private long writeImage(int slot, PageKey key, MemorySegment[] parts, int header, int length) {
    ByteBuffer b = imageView;
    b.putInt(0, SLOT_MAGIC);
    b.putInt((int) PARTS_AT, parts.length);
    key.writeTo(image, (int) KEY_AT);
    int off = header;
    for (int p = 0; p < parts.length; p++) {
      int size = (int) parts[p].byteSize();
      b.putInt((int) SIZES_AT + 4 * p, size);
      MemorySegment.copy(parts[p], 0, imageSegment, off, size);
      off += size;
    }
    long checksum = SlotChecksum.of(image, (int) PARTS_AT, length - (int) PARTS_AT);
    b.putLong((int) CHECKSUM_AT, checksum);
    slab.copyIn(imageSegment, slot, length);
    return checksum;
  }

  private boolean readPage(PageKey key, MemorySegment[] target) {
    PageIndex.Entry e = index.get(key);
    if (e == null) return false;
    if (e.slot() < 0 || e.slot() >= slab.slotCount || e.length() < LocalL3Config.SLOT_HEADER_FIXED
        || e.length() > slab.slotBytes) {
      if (index.remove(key, e)) count(mismatches, HiCacheMetric.L3_READ_FAILURES.key(), "checksum_mismatch");
      return false;
    }
    long w1 = slab.word(e.slot());
    if (SlabFile.state(w1) == SlabFile.FREE || SlabFile.generation(w1) != e.generation()) {
      if (index.remove(key, e)) count(stale, HiCacheMetric.L3_READ_FAILURES.key(), "stale_entry");
      return false;
    }
    byte[] kb = key.bytes();
    boolean verified, fits;
    if (image != null) {
      // One copy out of the slot; verified and copied to the targets from the image.
      int length = e.length();
      slab.copyOut(e.slot(), imageSegment, length);
      verified = SlotChecksum.of(image, (int) PARTS_AT, length - (int) PARTS_AT) == e.checksum() && imageNames(length, kb);
      fits = verified && imageShapeMatches(target);
      if (fits) {
        int off = (int) LocalL3Config.headerBytes(target.length);
        for (MemorySegment t : target) {
          MemorySegment.copy(imageSegment, off, t, 0, t.byteSize());
          off += (int) t.byteSize();
        }
      }
    } else {
      MemorySegment s = slab.slot(e.slot()).asSlice(0, e.length());
      verified = SlotChecksum.of(s.asSlice(PARTS_AT, e.length() - PARTS_AT)) == e.checksum() && headerNames(s, kb);
      fits = verified && shapeMatches(s, target);
      if (fits) {
        long off = LocalL3Config.headerBytes(target.length);
        for (MemorySegment t : target) {
          MemorySegment.copy(s, off, t, 0, t.byteSize());
          off += t.byteSize();
        }
      }
    }
    VarHandle.loadLoadFence();
    long w2 = slab.word(e.slot());
    if (SlabFile.state(w2) == SlabFile.FREE || SlabFile.generation(w2) != e.generation()) {
      return false; // freed or reused while we read: a miss, not damage
    }
    if (!verified) {
      count(mismatches, HiCacheMetric.L3_READ_FAILURES.key(), "checksum_mismatch");
      if (policy != null) policy.invalidate(key);
      if (index.remove(key, e)) freeSlot(e.slot(), e.generation());
      return false;
    }
    if (!fits) return false;
    read.increment();
    touch(key, e.slot(), e.generation());
    return true;
  }

  /** {@link #headerNames} on the image holding {@code length} bytes of a slot. */
  private boolean imageNames(int length, byte[] kb) {
    ByteBuffer b = imageView;
    if (b.getInt(0) != SLOT_MAGIC) return false;
    int parts = b.getInt((int) PARTS_AT);
    if (parts < 1 || parts > LocalL3Config.MAX_PARTS || LocalL3Config.headerBytes(parts) > length) return false;
    long total = LocalL3Config.headerBytes(parts);
    for (int p = 0; p < parts; p++) total += Integer.toUnsignedLong(b.getInt((int) SIZES_AT + 4 * p));
    return total == length && Arrays.equals(image, (int) KEY_AT, (int) KEY_AT + PageKey.BYTES, kb, 0, PageKey.BYTES);
  }

  private boolean imageShapeMatches(MemorySegment[] target) {
    ByteBuffer b = imageView;
    if (b.getInt((int) PARTS_AT) != target.length) return false;
    for (int p = 0; p < target.length; p++) {
      if (b.getInt((int) SIZES_AT + 4 * p) != target[p].byteSize()) return false;
    }
    return true;
  }

  private static boolean headerNames(MemorySegment s, byte[] kb) {
    if (s.get(ValueLayout.JAVA_INT, 0) != SLOT_MAGIC) return false;
    return pageLength(s) == s.byteSize() && Arrays.equals(s.asSlice(KEY_AT, PageKey.BYTES).toArray(ValueLayout.JAVA_BYTE), kb);
  }

  /** The page length its header gives, or -1 if the header is not a page's. */
  private static long pageLength(MemorySegment s) {
    if (s.get(ValueLayout.JAVA_INT, 0) != SLOT_MAGIC) return -1;
    int parts = s.get(ValueLayout.JAVA_INT, PARTS_AT);
    if (parts < 1 || parts > LocalL3Config.MAX_PARTS || LocalL3Config.headerBytes(parts) > s.byteSize()) return -1;
    long total = LocalL3Config.headerBytes(parts);
    for (int p = 0; p < parts; p++) total += Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, SIZES_AT + 4L * p));
    return total;
  }

  private static boolean shapeMatches(MemorySegment s, MemorySegment[] target) {
    if (s.get(ValueLayout.JAVA_INT, PARTS_AT) != target.length) return false;
    for (int p = 0; p < target.length; p++) {
      if (s.get(ValueLayout.JAVA_INT, SIZES_AT + 4L * p) != target[p].byteSize()) return false;
    }
    return true;
  }

  /** Whether the entry's slot still holds the entry's allocation. */
  private boolean holds(PageIndex.Entry e) {
    return holds(e.slot(), e.generation());
  }

  /**
   * {@link #holds} for a located entry. Process-private, the index is authoritative under
   * privateLock (held for the whole batch): an entry is published after its slot is claimed and
   * removed before its slot is freed, so a slot the index names is never free; the slot word is
   * not read again (a cold line per existence check). Reads still check it (and the checksum).
   */
  private boolean indexedHolds(long at) {
    return privateLock != null || holds(PageIndex.slotOf(at), PageIndex.generationOf(at));
  }

  private boolean holds(int slot, int generation) {
    if (slot < 0 || slot >= slab.slotCount) return false;
    long w = slab.word(slot);
    return SlabFile.state(w) != SlabFile.FREE && SlabFile.generation(w) == generation;
  }

  /** Removes the page's entry and frees its slot; false if it was not present. */
  private boolean dropPage(PageKey key) {
    while (true) {
      PageIndex.Entry e = index.get(key);
      if (e == null) return false;
      if (index.remove(key, e)) {
        if (e.slot() >= 0 && e.slot() < slab.slotCount) freeSlot(e.slot(), e.generation());
        return true;
      }
    }
  }

  /** A use of the page in {@code slot} at {@code generation} (a read, or a write of a present page). */
  private void touch(PageKey key, int slot, int generation) {
    if (policy != null) {
      policy.get(key, k -> slab.slotBytes);
      return;
    }
    // LRU is process-private only, and every caller holds privateLock for its whole batch (see
    // guarded) and has just found the slot committed (a read's second word check), committed it
    // (a write), or found it through the index, which is authoritative under that lock (an entry
    // is removed before its slot is freed): the slot still holds the page, so its word is not
    // read again here.
    synchronized (privateLock) {
      lru.toTail(slot);
    }
  }

  /**
   * Process-private LRU, before a batch of writes: loads what the batch will miss on — each key's
   * index line and, when the slab is full, the slot words and index lines of the pages it is about
   * to evict (the coldest, in order) — as independent loads the processor overlaps, instead of one
   * cold line after another inside the writes ({@link HeapPageIndex#prefetch}). Changes nothing.
   */
  private void prefetch(List<PageKey> keys) {
    int victims = 0;
    if (lru.size() > slab.slotCount - keys.size()) victims = lru.coldest(victimScratch, Math.min(keys.size(), victimScratch.length));
    long acc = 0;
    for (int k = 0; k < victims; k++) acc += slab.word(victimScratch[k]);
    ((HeapPageIndex) index).prefetch(keys, victimScratch, victims);
    prefetched = acc; // a use, so the loads are not dropped
  }

  /** LRU: frees the least recently used page while every slot holds a page, so the next claim finds one at once. */
  private void makeRoomLru() {
    while (true) {
      synchronized (privateLock) {
        if (lru.size() < slab.slotCount) return;
      }
      if (!evictLru()) return;
    }
  }

  // ------------------------------------------------------------------ slots

  private long allocate() {
    for (int attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
      if (freedStack != null) {
        while (freedTop > 0) {
          long claim = slab.tryClaim(freedStack[--freedTop], pid);
          if (claim >= 0) return claim;
        }
      }
      for (Integer hint; (hint = freedHints.poll()) != null; ) {
        freedHintCount.decrementAndGet();
        long claim = slab.tryClaim(hint, pid);
        if (claim >= 0) return claim;
      }
      // Next fit: continue after the last slot found, so a filling slab is not rescanned from its start.
      long claim = slab.allocate(Math.floorMod(cursor.get(), slab.slotCount), pid);
      if (claim >= 0) {
        cursor.set((int) (claim >>> 32) + 1);
        return claim;
      }
      if (!evictOne()) return -1;
    }
    return -1;
  }

  /** Frees a slot this process let go of, and remembers it for the next allocation. */
  private void freeSlot(int slot, int generation) {
    if (lru != null) {
      synchronized (privateLock) {
        if (!slab.free(slot, generation)) return;
        lru.unlink(slot);
      }
    } else if (!slab.free(slot, generation)) {
      return;
    }
    if (freedStack != null) {
      if (freedTop < freedStack.length) freedStack[freedTop++] = slot;
    } else if (freedHintCount.incrementAndGet() <= MAX_FREED_HINTS) {
      freedHints.offer(slot);
    } else {
      freedHintCount.decrementAndGet();
    }
  }

  /** Frees one slot: the coldest page this process knows, else any committed page. */
  private boolean evictOne() {
    if (lru != null) {
      if (evictLru()) return true;
    } else {
      while (true) {
        var coldest = policy.policy().eviction().orElseThrow().coldest(1);
        if (coldest.isEmpty()) break;
        PageKey k = coldest.keySet().iterator().next();
        policy.invalidate(k);
        if (dropPage(k)) {
          count(evictions, HiCacheMetric.L3_EVICTIONS.key(), null);
          return true;
        }
      }
    }
    int start = ThreadLocalRandom.current().nextInt(slab.slotCount);
    for (int i = 0; i < slab.slotCount; i++) {
      int s = (start + i) % slab.slotCount;
      if (dropSlot(s)) {
        count(evictions, HiCacheMetric.L3_EVICTIONS.key(), null);
        return true;
      }
    }
    return false;
  }

  /** LRU: drops the least recently used page that can be dropped; false if none can. */
  private boolean evictLru() {
    int tries;
    synchronized (privateLock) {
      tries = lru.size();
    }
    for (; tries > 0; tries--) {
      int s;
      synchronized (privateLock) {
        s = lru.coldest();
        if (s < 0) return false;
      }
      if (dropSlot(s)) {
        count(evictions, HiCacheMetric.L3_EVICTIONS.key(), null);
        return true;
      }
      synchronized (privateLock) {
        // Another thread is removing its page (it frees and unlinks the slot next), or its header
        // no longer names the page: try the next one.
        if (lru.coldest() == s) lru.toTail(s);
      }
    }
    return false;
  }

  /** Drops the committed page in {@code slot} (its entry, then the slot), if the index still names it. */
  private boolean dropSlot(int s) {
    long w = slab.word(s);
    if (SlabFile.state(w) != SlabFile.COMMITTED) return false;
    if (privateLock != null && policy == null) {
      // Process-private LRU (under privateLock): the index finds the slot's entry itself, so the
      // victim's header (a cold slab line) is not read to learn its key.
      int gen = SlabFile.generation(w);
      if (!((HeapPageIndex) index).removeSlotIfAt(s, gen)) return false;
      freeSlot(s, gen);
      return true;
    }
    PageKey k = headerKey(s);
    int gen = SlabFile.generation(w);
    if (k != null && index.removeIfAt(k, s, gen)) {
      if (policy != null) policy.invalidate(k);
      freeSlot(s, gen);
      return true;
    }
    return false;
  }

  private PageKey headerKey(int slot) {
    MemorySegment s = slab.slot(slot);
    if (s.get(ValueLayout.JAVA_INT, 0) != SLOT_MAGIC) return null;
    return PageKey.ofDigest(s.asSlice(KEY_AT, PageKey.BYTES).toArray(ValueLayout.JAVA_BYTE));
  }

  /** Whether the index names this slot at this word's generation. */
  private boolean referenced(int slot, long word) {
    PageKey k = headerKey(slot);
    PageIndex.Entry e = k == null ? null : index.get(k);
    return e != null && e.slot() == slot && e.generation() == SlabFile.generation(word);
  }

  /**
   * Finishes what killed processes left.
   *
   * <p>Alone (no other process has the store open): the index is rebuilt from the slab, which is
   * the source of truth. Every {@code COMMITTED} slot whose header is a page's is published again
   * (an acknowledged page always has a committed slot: the slot is committed before the ack);
   * every {@code WRITING} slot is freed (its writer is gone and never acknowledged it). This does
   * not depend on repairing a Chronicle Map file that a killed process left mid-update.
   *
   * <p>With others open: a {@code WRITING} slot whose writer process is gone is committed if the
   * index names it, else freed; a {@code COMMITTED} slot no entry names (its remover died between
   * the two steps) is freed.
   */
  private void recover(boolean alone) {
    if (alone) {
      rebuildIndex();
      return;
    }
    for (int s = 0; s < slab.slotCount; s++) {
      long w = slab.word(s);
      int state = SlabFile.state(w);
      int gen = SlabFile.generation(w);
      if (state == SlabFile.WRITING) {
        int owner = SlabFile.owner(w);
        if (owner != pid && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) continue;
        if (referenced(s, w)) {
          if (slab.casWord(s, w, SlabFile.word(SlabFile.COMMITTED, gen, owner))) recoveredCommitted.increment();
        } else if (slab.casWord(s, w, SlabFile.word(SlabFile.FREE, gen, 0))) {
          recoveredFreed.increment();
        }
      } else if (state == SlabFile.COMMITTED && !referenced(s, w)) {
        if (slab.casWord(s, w, SlabFile.word(SlabFile.FREE, gen, 0))) recoveredFreed.increment();
      }
    }
  }

  private void rebuildIndex() {
    for (int s = 0; s < slab.slotCount; s++) {
      long w = slab.word(s);
      int state = SlabFile.state(w);
      if (state == SlabFile.FREE) continue;
      int gen = SlabFile.generation(w);
      MemorySegment slot = slab.slot(s);
      long length = state == SlabFile.COMMITTED ? pageLength(slot) : -1;
      if (length > 0 && length <= slab.slotBytes) {
        PageKey k = PageKey.ofDigest(slot.asSlice(KEY_AT, PageKey.BYTES).toArray(ValueLayout.JAVA_BYTE));
        PageIndex.Entry e = new PageIndex.Entry(s, gen, (int) length, slot.get(ValueLayout.JAVA_LONG, CHECKSUM_AT));
        // A key in two committed slots (a remover died, the page was stored again): keep one.
        if (index.putIfAbsent(k, e) == null) {
          recoveredCommitted.increment();
          continue;
        }
      }
      slab.casWord(s, w, SlabFile.word(SlabFile.FREE, gen, 0));
      recoveredFreed.increment();
    }
  }

  private void loadPolicy() {
    index.forEachKey(k -> policy.put(k, slab.slotBytes));
  }

  private void count(LongAdder local, String metric, String label) {
    local.increment();
    metrics.count(metric, label, 1);
  }

  private <T> T guarded(Supplier<T> op) {
    var lock = closeLock.readLock();
    lock.lock();
    try {
      if (closed) throw new IllegalStateException(where() + " is closed");
      try {
        if (privateLock == null) return op.get();
        // One monitor per batch instead of one per index or LRU step (the per-page cost on stub pages).
        synchronized (privateLock) {
          return op.get();
        }
      } catch (IllegalArgumentException | L3Exception e) {
        throw e;
      } catch (RuntimeException e) {
        // Chronicle Map (a lock left by a killed process, a full index), the mapping, the disk.
        throw new L3Exception(L3Exception.Cause.INTERNAL, where() + ": " + e, e);
      }
    } finally {
      lock.unlock();
    }
  }
}
