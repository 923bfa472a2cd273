package dev.hicache.l3.local;

import java.nio.file.Path;

/**
 * Where the embedded L3 lives and how big it is.
 *
 * @param directory the store's folder (index, slab and lock files); every process that opens the
 *     same folder with the same sizes shares the same pages
 * @param capacityBytes bytes of the slab; the store holds {@code capacityBytes / slotBytes()} pages
 * @param maxPageBytes the largest page, all parts together (the engine's page bytes)
 * @param maxParts the most parts a page has (2 for MHA page_first, 1 for MLA, 2 × layers for
 *     layer_first)
 * @param syncWrites force each page's bytes to the disk before it is published; without it a page
 *     survives any process crash (the mapping lives in the OS page cache) but not a power loss,
 *     where the checksums turn lost bytes into misses
 */
public record LocalL3Config(Path directory, long capacityBytes, long maxPageBytes, int maxParts, boolean syncWrites) {
  static final int SLOT_HEADER_FIXED = 56;
  static final int MAX_PARTS = 4096;

  public LocalL3Config {
    if (directory == null) throw new IllegalArgumentException("local L3: directory is required");
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
  }

  /** A config that does not force writes to disk. */
  public static LocalL3Config of(Path directory, long capacityBytes, long maxPageBytes, int maxParts) {
    return new LocalL3Config(directory, capacityBytes, maxPageBytes, maxParts, false);
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
