package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageKey;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the TCK does not cover: persistence, checksums, eviction, sizes and configuration. */
class LocalL3StoreTest {
  @TempDir Path tmp;

  private LocalL3Store open(int slots) {
    return LocalL3Store.open(CrashPages.config(tmp.resolve("l3"), slots));
  }

  @Test
  void open_declaresASharedPersistentStore() {
    try (LocalL3Store store = open(16)) {
      assertThat(store.name()).isEqualTo("local");
      assertThat(store.capabilities().sharedAcrossProcesses()).isTrue();
      assertThat(store.capabilities().persistent()).isTrue();
    }
  }

  @Test
  void reopen_keepsEveryPageByteForByte() {
    try (LocalL3Store store = open(256); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < 200; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
    }
    try (LocalL3Store store = open(256); Arena arena = Arena.ofConfined()) {
      assertThat(store.size()).isEqualTo(200);
      for (long n = 0; n < 200; n++) {
        MemorySegment[] t = CrashPages.target(n, arena);
        assertThat(store.get(CrashPages.key(n), t)).isTrue();
        assertThat(CrashPages.matches(n, t)).isTrue();
      }
    }
  }

  @Test
  void prefault_faultsTheWholeSlabIn_keepsEveryPage_andTheStoreStillWrites() throws IOException {
    try (LocalL3Store store = open(256); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < 100; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      assertThat(store.prefault()).isEqualTo(java.nio.file.Files.size(tmp.resolve("l3/slab.dat")));
      for (long n = 100; n < 200; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      for (long n = 0; n < 200; n++) {
        MemorySegment[] t = CrashPages.target(n, arena);
        assertThat(store.get(CrashPages.key(n), t)).as("page %d after the prefault", n).isTrue();
        assertThat(CrashPages.matches(n, t)).as("page %d's bytes", n).isTrue();
      }
    }
    // What it read stays on disk as it was: the pages written before it survive a reopen too.
    try (LocalL3Store store = open(256); Arena arena = Arena.ofConfined()) {
      assertThat(store.size()).isEqualTo(200);
      MemorySegment[] t = CrashPages.target(7, arena);
      assertThat(store.get(CrashPages.key(7), t)).isTrue();
      assertThat(CrashPages.matches(7, t)).isTrue();
    }
  }

  @Test
  void prefault_processPrivate_isANoOp() {
    try (LocalL3Store store = LocalL3Store.open(LocalL3Config.processPrivate(1 << 20, 4096, 2))) {
      assertThat(store.prefault()).isZero();
    }
  }

  /** Flips one byte of the first occurrence of {@code needle} in the slab file; returns its offset. */
  private long flipByteOf(byte[] needle, int at) throws IOException {
    try (FileChannel ch = FileChannel.open(tmp.resolve("l3/slab.dat"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      outer:
      for (int i = 0; i + needle.length <= all.limit(); i++) {
        for (int j = 0; j < needle.length; j++) if (all.get(i + j) != needle[j]) continue outer;
        ByteBuffer b = ByteBuffer.allocate(1).put(0, (byte) (needle[at] ^ 0x40));
        ch.write(b, i + at);
        return i + at;
      }
    }
    throw new AssertionError("bytes not found in the slab");
  }

  @Test
  void corruptedPartByte_isAMiss_countedAndDropped() throws IOException {
    try (LocalL3Store store = open(16); Arena arena = Arena.ofConfined()) {
      PageKey key = CrashPages.key(7);
      assertThat(store.set(key, CrashPages.source(7, arena))).isTrue();
      byte[][] parts = CrashPages.parts(7);
      flipByteOf(parts[1], parts[1].length / 2); // through the file: the mapping sees it
      assertThat(store.get(key, CrashPages.target(7, arena))).as("a damaged page is a miss").isFalse();
      assertThat(store.stats().checksumMismatches()).isEqualTo(1);
      assertThat(store.exists(key)).as("and it is dropped").isFalse();
      assertThat(store.set(key, CrashPages.source(7, arena))).as("and can be stored again").isTrue();
      MemorySegment[] t = CrashPages.target(7, arena);
      assertThat(store.get(key, t)).isTrue();
      assertThat(CrashPages.matches(7, t)).isTrue();
    }
  }

  @Test
  void corruptedKeyInTheSlot_neverServesThePageUnderAnotherKey() throws IOException {
    PageKey key = CrashPages.key(9);
    byte[] kb = key.bytes();
    try (LocalL3Store store = open(16); Arena arena = Arena.ofConfined()) {
      assertThat(store.set(key, CrashPages.source(9, arena))).isTrue();
    }
    flipByteOf(kb, 5);
    kb[5] ^= 0x40;
    PageKey damaged = PageKey.ofDigest(kb);
    // Reopened alone, the index is rebuilt from the slab, so the damaged key is what it finds.
    try (LocalL3Store store = open(16); Arena arena = Arena.ofConfined()) {
      assertThat(store.exists(key)).isFalse();
      assertThat(store.get(damaged, CrashPages.target(9, arena))).as("the checksum covers the key").isFalse();
      assertThat(store.stats().checksumMismatches()).isEqualTo(1);
      assertThat(store.exists(damaged)).isFalse();
    }
  }

  @Test
  void eviction_keepsTheSlabBound_andAFrequentlyReadPageSurvives() {
    int slots = 64;
    try (LocalL3Store store = open(slots); Arena arena = Arena.ofShared()) {
      PageKey hot = CrashPages.key(0);
      assertThat(store.set(hot, CrashPages.source(0, arena))).isTrue();
      // Caffeine counts frequencies once the cache is half full; fill it that far first.
      for (long n = 1000; n < 1000 + slots / 2 + 4; n++) store.set(CrashPages.key(n), CrashPages.source(n, arena));
      for (int i = 0; i < 30; i++) assertThat(store.get(hot, CrashPages.target(0, arena))).isTrue();
      for (long n = 1; n <= 600; n++) store.set(CrashPages.key(n), CrashPages.source(n, arena));
      assertThat(store.size()).isLessThanOrEqualTo(slots);
      assertThat(store.stats().evictions()).isGreaterThanOrEqualTo(1 + (slots / 2 + 4) + 600 - slots);
      assertThat(store.stats().rejectedFull()).isZero();
      MemorySegment[] t = CrashPages.target(0, arena);
      assertThat(store.get(hot, t)).as("W-TinyLFU keeps the page read 30 times over 600 one-off pages").isTrue();
      assertThat(CrashPages.matches(0, t)).isTrue();
      for (long n = 1; n <= 600; n++) {
        MemorySegment[] p = CrashPages.target(n, arena);
        if (store.get(CrashPages.key(n), p)) assertThat(CrashPages.matches(n, p)).isTrue();
      }
    }
  }

  @Test
  void pageLargerThanASlot_orWithTooManyParts_isNotStored() {
    try (LocalL3Store store = open(16); Arena arena = Arena.ofConfined()) {
      PageKey k = CrashPages.key(1);
      assertThat(store.set(k, arena.allocate(store.config().slotBytes()))).isFalse();
      assertThat(store.set(k, arena.allocate(1), arena.allocate(1), arena.allocate(1))).isFalse();
      assertThat(store.stats().rejectedTooLarge()).isEqualTo(2);
      assertThat(store.exists(k)).isFalse();
    }
  }

  @Test
  void reopenWithOtherSizes_isRefusedNamingTheSlab() {
    open(16).close();
    assertThatThrownBy(() -> LocalL3Store.open(LocalL3Config.of(tmp.resolve("l3"), 1 << 20, 4096, 2)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("slab.dat").hasMessageContaining("slot bytes");
    try (LocalL3Store again = open(16)) {
      assertThat(again.size()).isZero(); // the refused open left nothing behind
    }
  }

  @Test
  void secondOpenInOneProcess_isRefused() {
    try (LocalL3Store store = open(16)) {
      assertThatThrownBy(() -> open(16)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already open");
    }
    open(16).close(); // closing released it
  }

  @Test
  void badConfiguration_namesTheField() {
    assertThatThrownBy(() -> LocalL3Config.of(tmp, 100, 4096, 2)).hasMessageContaining("capacityBytes 100");
    assertThatThrownBy(() -> LocalL3Config.of(tmp, 1 << 20, 0, 2)).hasMessageContaining("maxPageBytes");
    assertThatThrownBy(() -> LocalL3Config.of(tmp, 1 << 20, 4096, 0)).hasMessageContaining("maxParts");
    assertThatThrownBy(() -> LocalL3Config.of(null, 1 << 20, 4096, 2)).hasMessageContaining("directory");
  }
}
