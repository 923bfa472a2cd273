package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import net.openhft.chronicle.hash.locks.InterProcessLock;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The index: a persisted Chronicle Map from page key (32 bytes) to {@link Entry}, shared by every
 * process that maps the same file. Only committed pages are published here: an entry appears after
 * its slot's bytes are complete, so a reader that finds an entry finds whole bytes (and verifies
 * them anyway).
 */
final class PageIndex implements AutoCloseable {
  static final int VALUE_BYTES = 24;
  /** The state an entry is published in; anything else is a damaged entry. */
  static final int COMMITTED = SlabFile.COMMITTED;
  static final long LOCK_WAIT_MS = Long.getLong("hicache.l3.local.lockWaitMs", 500);

  /** Where a page lives and how to check it. */
  record Entry(int slot, int generation, int length, long checksum) {
    byte[] encode() {
      return ByteBuffer.allocate(VALUE_BYTES).putInt(slot).putInt(generation).putInt(length).putInt(COMMITTED).putLong(checksum).array();
    }

    /** The entry in {@code v}, or null if {@code v} is not a committed entry. */
    static Entry decode(byte[] v) {
      if (v == null || v.length != VALUE_BYTES) return null;
      ByteBuffer b = ByteBuffer.wrap(v);
      int slot = b.getInt(), gen = b.getInt(), length = b.getInt(), state = b.getInt();
      if (state != COMMITTED) return null;
      return new Entry(slot, gen, length, b.getLong());
    }
  }

  private final ChronicleMap<byte[], byte[]> map;

  private PageIndex(ChronicleMap<byte[], byte[]> map) {
    this.map = map;
  }

  private static ChronicleMapBuilder<byte[], byte[]> builder(long entries) {
    return ChronicleMapBuilder.of(byte[].class, byte[].class)
        .name("hicache-l3-index")
        .entries(entries)
        // Many small segments: a segment left locked by a killed process then covers few pages.
        .minSegments((int) Math.min(1024, Math.max(128, entries / 512)))
        .constantKeySizeBySample(new byte[PageKey.BYTES])
        .constantValueSizeBySample(new byte[VALUE_BYTES]);
  }

  /**
   * Makes a new, empty index file in place of any old one. Creating a Chronicle Map file is not
   * atomic, so it is built aside and renamed into place: a process killed half way leaves the old
   * file or the new one, never half of one. The caller holds the open gate and is alone.
   */
  static PageIndex create(File file, long entries) throws IOException {
    ChronicleMapBuilder<byte[], byte[]> b = builder(entries);
    Path tmp = file.toPath().resolveSibling(file.getName() + ".creating-" + ProcessHandle.current().pid());
    Files.deleteIfExists(tmp);
    b.createPersistedTo(tmp.toFile()).close();
    Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return new PageIndex(b.createPersistedTo(file));
  }

  /** Opens the index that the processes which have the store open share. */
  static PageIndex open(File file, long entries) throws IOException {
    if (!file.exists()) throw new IOException(file + " is missing while other processes have the store open");
    return new PageIndex(builder(entries).createPersistedTo(file));
  }

  static byte[] key(PageKey k) {
    return k.bytes();
  }

  Entry get(byte[] key) {
    return Entry.decode(raw(key));
  }

  /** The raw value under {@code key}, or null. */
  byte[] raw(byte[] key) {
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
      lock(c.readLock(), c);
      MapEntry<byte[], byte[]> e = c.entry();
      return e == null ? null : e.value().get().clone();
    }
  }

  /** Publishes {@code e} unless the key is present; returns the present entry's raw value, or null. */
  byte[] putIfAbsent(byte[] key, Entry e) {
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
      lock(c.updateLock(), c);
      MapEntry<byte[], byte[]> present = c.entry();
      if (present != null) return present.value().get().clone();
      c.absentEntry().doInsert(c.wrapValueAsData(e.encode()));
      return null;
    }
  }

  /** Removes the key only if it still maps to {@code e}. */
  boolean remove(byte[] key, Entry e) {
    return removeRaw(key, e.encode());
  }

  /** Removes the key only if it still maps to the raw value {@code v}. */
  boolean removeRaw(byte[] key, byte[] v) {
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
      lock(c.updateLock(), c);
      MapEntry<byte[], byte[]> present = c.entry();
      if (present == null || !Arrays.equals(present.value().get(), v)) return false;
      present.doRemove();
      return true;
    }
  }

  /**
   * Takes a segment lock, waiting at most {@link #LOCK_WAIT_MS}. Chronicle Map's own wait is 60 s:
   * a process killed inside a critical section leaves its segment locked until the store is next
   * opened alone, and a caller must get a quick miss, not a minute's stall per call.
   */
  private static void lock(InterProcessLock lock, ExternalMapQueryContext<byte[], byte[], ?> c) {
    try {
      if (lock.tryLock(LOCK_WAIT_MS, TimeUnit.MILLISECONDS)) return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new L3Exception(L3Exception.Cause.UNAVAILABLE, "local L3: interrupted waiting for index segment " + c.segmentIndex(), e);
    }
    throw new L3Exception(L3Exception.Cause.TIMEOUT, "local L3: index segment " + c.segmentIndex() + " stayed locked for "
        + LOCK_WAIT_MS + " ms (a process killed while holding it?); the segment is usable again once the store is reopened"
        + " with no other process open");
  }

  /** Locks {@code key}'s segment for writing and returns without unlocking: for the crash tests only. */
  void lockSegmentForever(byte[] key) {
    ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key);
    c.writeLock().lock();
  }

  /** Visits every entry (a weakly consistent snapshot); a damaged value is passed as null. */
  void forEach(BiConsumer<byte[], byte[]> visitor) {
    map.forEach(visitor);
  }

  long size() {
    return map.longSize();
  }

  @Override public void close() {
    map.close();
  }
}
