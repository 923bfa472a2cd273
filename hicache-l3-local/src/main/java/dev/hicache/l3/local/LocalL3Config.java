package dev.hicache.l3.local;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where the embedded L3 lives, how big it is and how it evicts.
 *
 * @param directory the store's folder (index, slab and lock files); every process that opens the
 *     same folder with the same sizes shares the same pages. Null for the process-private mode
 *     ({@link #processPrivate}): the slab in anonymous memory, an on-heap index, no files, nothing
 *     shared with other processes and nothing kept after close
 * @param capacityBytes bytes of the slab; the store holds {@code capacityBytes / slotBytes()} pages
 * @param maxPageBytes the largest page, all parts together (the engine's page bytes)
 * @param maxParts the most parts a page has (2 for MHA page_first, 1 for MLA, 2 × layers for
 *     layer_first)
 * @param syncWrites force each page's bytes to the disk before it is published; without it a page
 *     survives any process crash (the mapping lives in the OS page cache) but not a power loss,
 *     where the checksums turn lost bytes into misses (always false in the process-private mode)
 * @param eviction what goes when the store is full: {@link Eviction#W_TINY_LFU} (the default) or
 *     {@link Eviction#LRU} (the process-private mode only)
 */
public record LocalL3Config(Path directory, long capacityBytes, long maxPageBytes, int maxParts, boolean syncWrites,
    Eviction eviction) {
  static final int SLOT_HEADER_FIXED = 56;
  static final int MAX_PARTS = 4096;

  /** The eviction policy of the store. */
  public enum Eviction {
    /**
     * Caffeine's W-TinyLFU (admission by frequency, weighed by slot bytes), over the pages this
     * process wrote or read: a new page that is rarer than the victim is not kept.
     */
    W_TINY_LFU("w-tinylfu"),
    /**
     * Exact least-recently-used over the pages of the process-private store (a write or a read is a
     * use; an existence check is not): Mooncake's own policy, and the cheaper one.
     */
    LRU("lru");

    private final String flagName;

    Eviction(String flagName) {
      this.flagName = flagName;
    }

    /** The name users type: {@code w-tinylfu} or {@code lru}. */
    public String flagName() {
      return flagName;
    }

    /** The policy named {@code name} (case-insensitive; {@code wtinylfu} and {@code w_tiny_lfu} too). */
    public static Eviction parse(String name) {
      String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
      return switch (n) {
        case "w-tinylfu", "wtinylfu", "w-tiny-lfu", "tinylfu" -> W_TINY_LFU;
        case "lru" -> LRU;
        default -> throw new IllegalArgumentException("local L3: eviction '" + name + "' is not a policy (expected w-tinylfu or lru)");
      };
    }
  }

  public LocalL3Config {
    if (eviction == null) throw new IllegalArgumentException("local L3: eviction is required (w-tinylfu or lru)");
    if (directory == null && syncWrites) {
      throw new IllegalArgumentException("local L3: syncWrites true needs a directory (the process-private mode has no file)");
    }
    if (directory != null && eviction == Eviction.LRU) {
      throw new IllegalArgumentException("local L3: eviction lru is only available in the process-private mode"
          + " (LocalL3Config.processPrivate); a shared store at " + directory + " evicts with w-tinylfu");
    }
    if (maxParts < 1 || maxParts > MAX_PARTS) {
      throw new IllegalArgumentException("local L3: maxParts must be in [1, " + MAX_PARTS + "], got " + maxParts);
    }
    if (maxPageBytes < 1) throw new IllegalArgumentException("local L3: maxPageBytes must be positive, got " + maxPageBytes);
    long slot = slotBytes(maxPageBytes, maxParts);
    if (slot > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("local L3: maxPageBytes " + maxPageBytes + " is too large (a slot is at most 2 GiB)");
    }
    if (capacityBytes < slot) {
      throw new IllegalArgumentException("local L3: capacityBytes " + capacityBytes + " holds no page of " + slot
          + " slot bytes (maxPageBytes " + maxPageBytes + " plus the page header)");
    }
    if (capacityBytes / slot > Integer.MAX_VALUE - 1) {
      throw new IllegalArgumentException("local L3: capacityBytes " + capacityBytes + " makes more than 2^31 slots");
    }
    if (directory == null && capacityBytes / slot > MAX_PRIVATE_SLOTS) {
      throw new IllegalArgumentException("local L3: capacityBytes " + capacityBytes + " makes " + capacityBytes / slot
          + " slots; the process-private mode holds at most " + MAX_PRIVATE_SLOTS + " pages (its heap index)");
    }
  }

  /** The most pages of a process-private store (its heap index holds 2^27 entries). */
  static final long MAX_PRIVATE_SLOTS = 1L << 27;

  /** A shared, persistent store in {@code directory}, with W-TinyLFU eviction. */
  public LocalL3Config(Path directory, long capacityBytes, long maxPageBytes, int maxParts, boolean syncWrites) {
    this(requireDirectory(directory), capacityBytes, maxPageBytes, maxParts, syncWrites, Eviction.W_TINY_LFU);
  }

  private static Path requireDirectory(Path directory) {
    if (directory == null) {
      throw new IllegalArgumentException("local L3: directory is required (LocalL3Config.processPrivate makes a store without one)");
    }
    return directory;
  }

  /** A shared, persistent store in {@code directory} that does not force writes to disk. */
  public static LocalL3Config of(Path directory, long capacityBytes, long maxPageBytes, int maxParts) {
    return new LocalL3Config(directory, capacityBytes, maxPageBytes, maxParts, false);
  }

  /**
   * A process-private store: the same slots, checksums, verification and eviction as the shared
   * one, but the slab in anonymous memory and the index on the heap; not shared with other
   * processes, not persistent. W-TinyLFU eviction.
   */
  public static LocalL3Config processPrivate(long capacityBytes, long maxPageBytes, int maxParts) {
    return processPrivate(capacityBytes, maxPageBytes, maxParts, Eviction.W_TINY_LFU);
  }

  /** A process-private store with the given eviction policy. */
  public static LocalL3Config processPrivate(long capacityBytes, long maxPageBytes, int maxParts, Eviction eviction) {
    return new LocalL3Config(null, capacityBytes, maxPageBytes, maxParts, false, eviction);
  }

  /** Whether this is the process-private mode (no directory). */
  public boolean isProcessPrivate() {
    return directory == null;
  }

  /** Header bytes of a page with {@code parts} parts: magic, checksum, part count, key, part sizes; 64-aligned. */
  static long headerBytes(int parts) {
    return (SLOT_HEADER_FIXED + 4L * parts + 63) & ~63L;
  }

  static long slotBytes(long maxPageBytes, int maxParts) {
    return (headerBytes(maxParts) + maxPageBytes + 63) & ~63L;
  }

  /** Bytes of one slot: the largest page plus its header, 64-aligned. */
  public int slotBytes() {
    return (int) slotBytes(maxPageBytes, maxParts);
  }

  /** Pages the store holds at most. */
  public int slotCount() {
    return (int) (capacityBytes / slotBytes());
  }
}
