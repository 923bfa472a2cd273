package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Exception;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.openhft.chronicle.hash.locks.InterProcessLock;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The shared, persistent index: a Chronicle Map file from page key (32 bytes) to a 24-byte value
 * (slot, generation, length, state, checksum), shared by every process that maps the same file.
 */
final class ChronicleIndex implements PageIndex {
  static final int VALUE_BYTES = 24;
  /** The state an entry is published in; anything else is a damaged entry. */
  static final int COMMITTED = SlabFile.COMMITTED;
  static final long LOCK_WAIT_MS = Long.getLong("hicache.l3.local.lockWaitMs", 500);

  static byte[] encode(Entry e) {
    return ByteBuffer.allocate(VALUE_BYTES).putInt(e.slot()).putInt(e.generation()).putInt(e.length()).putInt(COMMITTED)
        .putLong(e.checksum()).array();
  }

  /** The entry in {@code v}: null if there is none, {@link #DAMAGED} if {@code v} is not a committed entry. */
  static Entry decode(byte[] v) {
    if (v == null) return null;
    if (v.length != VALUE_BYTES) return DAMAGED;
    ByteBuffer b = ByteBuffer.wrap(v);
    int slot = b.getInt(), gen = b.getInt(), length = b.getInt(), state = b.getInt();
    if (state != COMMITTED) return DAMAGED;
    return new Entry(slot, gen, length, b.getLong());
  }

  private final ChronicleMap<byte[], byte[]> map;

  private ChronicleIndex(ChronicleMap<byte[], byte[]> map) {
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
  static ChronicleIndex create(File file, long entries) throws IOException {
    ChronicleMapBuilder<byte[], byte[]> b = builder(entries);
    Path tmp = file.toPath().resolveSibling(file.getName() + ".creating-" + ProcessHandle.current().pid());
    Files.deleteIfExists(tmp);
    try {
      b.createPersistedTo(tmp.toFile()).close();
      // Never renamed over a device, FIFO or directory (checked by the store before it got here).
      dev.hicache.api.io.SafeOutput.requireRegularOrAbsent(file.toPath());
      Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return new ChronicleIndex(b.createPersistedTo(file));
  }

  /** Opens the index that the processes which have the store open share. */
  static ChronicleIndex open(File file, long entries) throws IOException {
    if (!file.exists()) throw new IOException(file + " is missing while other processes have the store open");
    return new ChronicleIndex(builder(entries).createPersistedTo(file));
  }

  @Override public Entry get(PageKey key) {
    return decode(raw(key.bytes()));
  }

  @Override public long locate(PageKey key) {
    Entry e = get(key);
    if (e == null) return ABSENT;
    return e == DAMAGED || e.slot() < 0 ? DAMAGED_VALUE : PageIndex.pack(e.slot(), e.generation());
  }

  @Override public Entry putIfAbsent(PageKey key, Entry e) {
    return decode(putIfAbsent(key.bytes(), e));
  }

  /**
   * Removes the key only if its value still decodes to {@code expected}. Decoding is one-to-one on
   * committed values, so this is the byte comparison for them; two damaged values both decode to
   * {@link #DAMAGED}, and removing either is what a caller that found damage wants.
   */
  @Override public boolean remove(PageKey key, Entry expected) {
    byte[] kb = key.bytes();
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(kb)) {
      lock(c.updateLock(), c);
      MapEntry<byte[], byte[]> present = c.entry();
      if (present == null || !expected.equals(decode(present.value().get()))) return false;
      present.doRemove();
      return true;
    }
  }

  /** The raw value under {@code key}, or null. */
  private byte[] raw(byte[] key) {
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
      lock(c.readLock(), c);
      MapEntry<byte[], byte[]> e = c.entry();
      return e == null ? null : e.value().get().clone();
    }
  }

  /** Publishes {@code e} unless the key is present; returns the present entry's raw value, or null. */
  private byte[] putIfAbsent(byte[] key, Entry e) {
    try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
      lock(c.updateLock(), c);
      MapEntry<byte[], byte[]> present = c.entry();
      if (present != null) return present.value().get().clone();
      c.absentEntry().doInsert(c.wrapValueAsData(encode(e)));
      return null;
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

  @Override public void forEachKey(Consumer<PageKey> visitor) {
    map.forEach((k, v) -> visitor.accept(PageKey.ofDigest(k))); // ofDigest copies: Chronicle reuses k
  }

  @Override public long size() {
    return map.longSize();
  }

  @Override public void close() {
    map.close();
  }
}
