package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.BiConsumer;
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
    return Entry.decode(map.get(key));
  }

  boolean containsKey(byte[] key) {
    return map.containsKey(key);
  }

  /** Publishes {@code e} unless the key is present; returns the present entry's raw value, or null. */
  byte[] putIfAbsent(byte[] key, Entry e) {
    return map.putIfAbsent(key, e.encode());
  }

  /** Removes the key only if it still maps to {@code e}. */
  boolean remove(byte[] key, Entry e) {
    return map.remove(key, e.encode());
  }

  /** Removes the key only if it still maps to the raw value {@code v}. */
  boolean removeRaw(byte[] key, byte[] v) {
    return map.remove(key, v);
  }

  byte[] raw(byte[] key) {
    return map.get(key);
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
