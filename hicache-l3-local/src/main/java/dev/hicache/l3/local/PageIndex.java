package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.util.function.Consumer;

/**
 * The store's index: page key → {@link Entry} (where the page lives and how to check it). Only
 * committed pages are published here: an entry appears after its slot's bytes are complete, so a
 * reader that finds an entry finds whole bytes (and verifies them anyway).
 *
 * <p>Two implementations: {@link ChronicleIndex} (a persisted Chronicle Map shared by every process
 * that opens the folder) and {@link HeapPageIndex} (an on-heap table private to the process, for
 * the process-private mode). The store's protocol is the same over both: conditional removes, so
 * that a writer's newer entry is never removed on behalf of a stale one.
 */
interface PageIndex extends AutoCloseable {
  /** {@link #locate} of a key with no entry. */
  long ABSENT = -1;
  /** {@link #locate} of a key whose value is not a committed entry (damaged). */
  long DAMAGED_VALUE = -2;

  /** Where a page lives and how to check it. */
  record Entry(int slot, int generation, int length, long checksum) {}

  /** What {@link #get} returns for a value that is not a committed entry; it names no slot. */
  Entry DAMAGED = new Entry(-1, 0, 0, 0);

  /** The key's entry, {@link #DAMAGED} if its value is damaged, or null if it has none. */
  Entry get(PageKey key);

  /**
   * The key's slot and generation packed as {@code slot << 32 | generation} (non-negative), or
   * {@link #ABSENT} or {@link #DAMAGED_VALUE}: the existence check, without allocating.
   */
  long locate(PageKey key);

  /** Publishes {@code e} unless the key has a value; returns null if published, else the present value. */
  Entry putIfAbsent(PageKey key, Entry e);

  /** Removes the key only if it still maps to {@code expected} ({@link #DAMAGED}: to a damaged value). */
  boolean remove(PageKey key, Entry expected);

  /** Removes the key only if its entry names {@code slot} at {@code generation}. */
  default boolean removeIfAt(PageKey key, int slot, int generation) {
    Entry e = get(key);
    return e != null && e.slot() == slot && e.generation() == generation && remove(key, e);
  }

  /** Visits every key (weakly consistent); the visitor may not change the index. */
  void forEachKey(Consumer<PageKey> visitor);

  long size();

  @Override void close();

  static int slotOf(long located) {
    return (int) (located >>> 32);
  }

  static int generationOf(long located) {
    return (int) located;
  }

  static long pack(int slot, int generation) {
    return ((long) slot << 32) | (generation & 0xFFFF_FFFFL);
  }
}
