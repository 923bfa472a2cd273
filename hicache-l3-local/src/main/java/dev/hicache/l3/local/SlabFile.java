package dev.hicache.l3.local;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The slab: one memory-mapped file of fixed-size slots, shared by every process that opens the
 * store; or, in the process-private mode, the same layout in anonymous memory ({@link #anonymous}).
 *
 * <pre>
 *   [0, 4096)             header: magic, format version, slot bytes, slot count
 *   [4096, dataStart)     slot table: one 64-bit word per slot, changed only by compare-and-set
 *   [dataStart, end)      slots, slotBytes each
 * </pre>
 *
 * <p>A slot word is {@code state (2 bits) | generation (30 bits) | owner pid (32 bits)}. States:
 * {@link #FREE}, {@link #WRITING} (an owner is filling it), {@link #COMMITTED}. Every allocation
 * bumps the generation, so an index entry (which records the generation) that outlives its slot's
 * reuse never matches again, and a reader that sees the same word before and after copying knows
 * nobody rewrote the slot in between (a seqlock). Compare-and-set on a shared mapping is atomic
 * across processes.
 */
final class SlabFile implements AutoCloseable {
  static final long MAGIC = 0x48694361_63684C33L; // "HiCachL3"
  static final int FORMAT = 1;
  static final int HEADER_BYTES = 4096;

  static final int FREE = 0, WRITING = 1, COMMITTED = 2;
  private static final int GEN_BITS = 30;
  private static final long GEN_MASK = (1L << GEN_BITS) - 1;

  private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

  final Path path;
  final int slotBytes;
  final int slotCount;
  private final long dataStart;
  private final Arena arena;
  private final MemorySegment map;

  private SlabFile(Path path, int slotBytes, int slotCount, Arena arena, MemorySegment map) {
    this.path = path;
    this.slotBytes = slotBytes;
    this.slotCount = slotCount;
    this.dataStart = dataStart(slotCount);
    this.arena = arena;
    this.map = map;
  }

  /**
   * Faults every page of a file-backed slab into memory (reading one byte a page, over parallel
   * slices), so that the first write to a slot does not pay the file system's page allocation: on
   * tmpfs that cost makes a cold slab take writes ten times slower than a warm one
   * (docs/calibration.md#copies), and a file system too small for the slab fails here, at start,
   * instead of under a write. Reads only: the slots' contents, and other processes' concurrent
   * writes, are untouched. Returns the bytes faulted in (0 for an anonymous slab, zeroed and
   * resident already).
   */
  long prefault() {
    if (path == null) return 0;
    long n = map.byteSize();
    long chunk = 256L << 20;
    try {
      java.util.stream.LongStream.range(0, (n + chunk - 1) / chunk).parallel()
          .forEach(i -> map.asSlice(i * chunk, Math.min(chunk, n - i * chunk)).load());
    } catch (InternalError e) {
      // What the JVM throws when a mapped file's page cannot be backed (SIGBUS: the file system is full).
      throw new IllegalStateException(path + ": cannot fault in the slab's " + n + " bytes (is the file system"
          + " smaller than the slab?): " + e.getMessage(), e);
    }
    return n;
  }

  static long dataStart(int slotCount) {
    long table = HEADER_BYTES + 8L * slotCount;
    return (table + 4095) & ~4095L;
  }

  static long fileBytes(int slotBytes, int slotCount) {
    return dataStart(slotCount) + (long) slotBytes * slotCount;
  }

  /**
   * Opens the slab at {@code path}, creating it (sparse, all slots free) if absent. The caller
   * holds the store's open gate, so no other process creates or checks it at the same time.
   */
  static SlabFile open(Path path, int slotBytes, int slotCount) throws IOException {
    long bytes = fileBytes(slotBytes, slotCount);
    Arena arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      if (size != 0 && size != bytes) {
        // Read what it was made with, to name it in the error.
        MemorySegment head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, HEADER_BYTES), arena);
        String made = size >= 24 && head.get(ValueLayout.JAVA_LONG, 0) == MAGIC
            ? "slot bytes " + head.get(ValueLayout.JAVA_INT, 12) + ", slots " + head.get(ValueLayout.JAVA_INT, 16)
            : "no valid header";
        arena.close();
        throw new IllegalStateException(path + ": the slab holds " + size + " bytes (" + made + ") but this store is configured for "
            + bytes + " bytes (slot bytes " + slotBytes + ", slots " + slotCount + "); use the same configuration or another directory");
      }
      if (size == 0) ch.truncate(0).write(java.nio.ByteBuffer.allocate(1), bytes - 1); // sparse preallocation
      MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
      SlabFile slab = new SlabFile(path, slotBytes, slotCount, arena, map);
      slab.checkOrWriteHeader();
      return slab;
    } catch (IOException | RuntimeException e) {
      if (arena.scope().isAlive()) arena.close();
      throw e;
    }
  }

  /**
   * A slab of the same layout in anonymous native memory of this process (zeroed: every slot FREE
   * at generation 0), for the process-private mode: no file, nothing survives the process.
   */
  static SlabFile anonymous(int slotBytes, int slotCount) {
    Arena arena = Arena.ofShared();
    try {
      MemorySegment mem = arena.allocate(fileBytes(slotBytes, slotCount), 4096);
      SlabFile slab = new SlabFile(null, slotBytes, slotCount, arena, mem);
      slab.checkOrWriteHeader();
      return slab;
    } catch (RuntimeException | OutOfMemoryError e) {
      arena.close();
      throw e;
    }
  }

  private void checkOrWriteHeader() {
    long magic = map.get(ValueLayout.JAVA_LONG, 0);
    if (magic == 0) {
      // A new file (or one whose creator died before the header was written: then every slot is
      // still zero, i.e. FREE at generation 0, and writing the header is all that is missing).
      map.set(ValueLayout.JAVA_INT, 8, FORMAT);
      map.set(ValueLayout.JAVA_INT, 12, slotBytes);
      map.set(ValueLayout.JAVA_INT, 16, slotCount);
      VarHandle.fullFence();
      map.set(ValueLayout.JAVA_LONG, 0, MAGIC);
      if (path != null) map.asSlice(0, HEADER_BYTES).force();
      return;
    }
    if (magic != MAGIC) throw new IllegalStateException(path + ": not a HiCache L3 slab (magic " + Long.toHexString(magic) + ")");
    int format = map.get(ValueLayout.JAVA_INT, 8);
    int sb = map.get(ValueLayout.JAVA_INT, 12);
    int sc = map.get(ValueLayout.JAVA_INT, 16);
    if (format != FORMAT || sb != slotBytes || sc != slotCount) {
      throw new IllegalStateException(path + ": slab format " + format + ", slot bytes " + sb + ", slots " + sc
          + " but this store is configured for format " + FORMAT + ", slot bytes " + slotBytes + ", slots " + slotCount);
    }
  }

  // ------------------------------------------------------------------ slot words

  static int state(long word) {
    return (int) (word >>> 62);
  }

  static int generation(long word) {
    return (int) ((word >>> 32) & GEN_MASK);
  }

  static int owner(long word) {
    return (int) word;
  }

  static long word(int state, int generation, int owner) {
    return ((long) state << 62) | ((generation & GEN_MASK) << 32) | (owner & 0xFFFF_FFFFL);
  }

  private long wordOffset(int slot) {
    return HEADER_BYTES + 8L * slot;
  }

  long word(int slot) {
    return (long) WORD.getVolatile(map, wordOffset(slot));
  }

  boolean casWord(int slot, long expected, long next) {
    return (boolean) WORD.compareAndSet(map, wordOffset(slot), expected, next);
  }

  /**
   * Claims a free slot for {@code pid}, scanning from {@code start}; returns the new word's slot
   * and generation packed as {@code slot << 32 | generation}, or -1 when every slot is taken.
   */
  long allocate(int start, int pid) {
    for (int i = 0; i < slotCount; i++) {
      int slot = (int) ((start + (long) i) % slotCount);
      long w = word(slot);
      if (state(w) != FREE) continue;
      int gen = (int) ((generation(w) + 1) & GEN_MASK);
      if (casWord(slot, w, word(WRITING, gen, pid))) return ((long) slot << 32) | gen;
    }
    return -1;
  }

  /** Claims {@code slot} for {@code pid} if it is free; the claim as {@link #allocate} gives it, or -1. */
  long tryClaim(int slot, int pid) {
    if (slot < 0 || slot >= slotCount) return -1;
    long w = word(slot);
    if (state(w) != FREE) return -1;
    int gen = (int) ((generation(w) + 1) & GEN_MASK);
    return casWord(slot, w, word(WRITING, gen, pid)) ? ((long) slot << 32) | gen : -1;
  }

  /** Frees the slot if it still holds {@code generation}; false when someone else already did. */
  boolean free(int slot, int generation) {
    while (true) {
      long w = word(slot);
      if (state(w) == FREE || generation(w) != generation) return false;
      if (casWord(slot, w, word(FREE, generation, 0))) return true;
    }
  }

  /** Copies {@code bytes} bytes from {@code from} into the start of the slot (no slice of the mapping made). */
  void copyIn(MemorySegment from, int slot, int bytes) {
    MemorySegment.copy(from, 0, map, slotStart(slot, bytes), bytes);
  }

  /** Copies the slot's first {@code bytes} bytes into {@code to} (no slice of the mapping made). */
  void copyOut(int slot, MemorySegment to, int bytes) {
    MemorySegment.copy(map, slotStart(slot, bytes), to, 0, bytes);
  }

  /** The slot's offset in the mapping, for {@code bytes} bytes that must lie within it (the mapping alone would let them run into the next slot). */
  private long slotStart(int slot, int bytes) {
    if (slot < 0 || slot >= slotCount || bytes < 0 || bytes > slotBytes) {
      throw new IndexOutOfBoundsException("slot " + slot + " of " + slotCount + ", " + bytes + " bytes of " + slotBytes);
    }
    return dataStart + (long) slot * slotBytes;
  }

  /** The bytes of one slot (a view of the mapping). */
  MemorySegment slot(int slot) {
    return map.asSlice(dataStart + (long) slot * slotBytes, slotBytes);
  }

  /** Writes the slot's bytes through to the file (for durability beyond a process crash). */
  void force(int slot, long bytes) {
    if (path == null) return; // anonymous memory: there is no file to write through to
    map.asSlice(dataStart + (long) slot * slotBytes, bytes).force();
  }

  int countInState(int state) {
    int n = 0;
    for (int s = 0; s < slotCount; s++) if (state(word(s)) == state) n++;
    return n;
  }

  @Override public void close() {
    if (arena.scope().isAlive()) arena.close();
  }
}
