package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process-private mode beyond the TCK: capabilities, verification, both evictions on a full slab, configuration. */
class ProcessPrivateL3StoreTest {
  @TempDir Path tmp;

  private static LocalL3Store open(int slots, LocalL3Config.Eviction eviction) {
    return LocalL3Store.open(LocalL3Config.processPrivate(LocalL3Config.slotBytes(2L * CrashPages.MAX_PART, 2) * slots,
        2L * CrashPages.MAX_PART, 2, eviction));
  }

  private static boolean present(LocalL3Store store, long n, Arena arena) {
    MemorySegment[] t = CrashPages.target(n, arena);
    return store.get(CrashPages.key(n), t) && CrashPages.matches(n, t);
  }

  @Test
  void declaresAPrivateNonPersistentStore_withNoFolder() {
    try (LocalL3Store store = open(16, LocalL3Config.Eviction.W_TINY_LFU)) {
      assertThat(store.name()).isEqualTo("local");
      assertThat(store.capabilities().sharedAcrossProcesses()).isFalse();
      assertThat(store.capabilities().persistent()).isFalse();
      assertThat(store.isProcessPrivate()).isTrue();
      assertThat(store.directory()).isNull();
      assertThat(store.config().slotCount()).isEqualTo(16);
    }
  }

  @Test
  void twoPrivateStores_inOneProcess_areIndependent_andNothingOutlivesClose() {
    try (Arena arena = Arena.ofConfined()) {
      LocalL3Store a = open(16, LocalL3Config.Eviction.LRU);
      try (LocalL3Store b = open(16, LocalL3Config.Eviction.LRU)) {
        assertThat(a.set(CrashPages.key(1), CrashPages.source(1, arena))).isTrue();
        assertThat(present(a, 1, arena)).isTrue();
        assertThat(b.exists(CrashPages.key(1))).isFalse();
      }
      a.close();
      assertThatThrownBy(() -> a.exists(CrashPages.key(1))).hasMessageContaining("process-private").hasMessageContaining("closed");
      try (LocalL3Store again = open(16, LocalL3Config.Eviction.LRU)) {
        assertThat(again.exists(CrashPages.key(1))).isFalse();
      }
    }
  }

  /** Flips one byte of the first occurrence of {@code needle} in the slab's slots; true if found. */
  private static boolean flip(LocalL3Store store, byte[] needle, int at) {
    SlabFile slab = store.slab();
    for (int s = 0; s < slab.slotCount; s++) {
      byte[] bytes = slab.slot(s).toArray(ValueLayout.JAVA_BYTE);
      outer:
      for (int i = 0; i + needle.length <= bytes.length; i++) {
        for (int j = 0; j < needle.length; j++) if (bytes[i + j] != needle[j]) continue outer;
        slab.slot(s).set(ValueLayout.JAVA_BYTE, i + at, (byte) (needle[at] ^ 0x40));
        return true;
      }
    }
    return false;
  }

  @Test
  void damagedPartByte_isAMiss_countedAndDropped() {
    for (LocalL3Config.Eviction eviction : LocalL3Config.Eviction.values()) {
      try (LocalL3Store store = open(16, eviction); Arena arena = Arena.ofConfined()) {
        assertThat(store.set(CrashPages.key(7), CrashPages.source(7, arena))).isTrue();
        byte[][] parts = CrashPages.parts(7);
        assertThat(flip(store, parts[1], parts[1].length / 2)).isTrue();
        assertThat(store.get(CrashPages.key(7), CrashPages.target(7, arena))).as("a damaged page is a miss").isFalse();
        assertThat(store.stats().checksumMismatches()).isEqualTo(1);
        assertThat(store.exists(CrashPages.key(7))).as("and it is dropped").isFalse();
        assertThat(store.set(CrashPages.key(7), CrashPages.source(7, arena))).isTrue();
        assertThat(present(store, 7, arena)).as("and can be stored again").isTrue();
      }
    }
  }

  @Test
  void damagedKeyInTheSlot_isAMiss_neverAnotherKeysPage() {
    try (LocalL3Store store = open(16, LocalL3Config.Eviction.LRU); Arena arena = Arena.ofConfined()) {
      PageKey key = CrashPages.key(9);
      assertThat(store.set(key, CrashPages.source(9, arena))).isTrue();
      assertThat(flip(store, key.bytes(), 5)).isTrue();
      assertThat(store.get(key, CrashPages.target(9, arena))).as("the slot no longer names the key").isFalse();
      assertThat(store.stats().checksumMismatches()).isEqualTo(1);
      assertThat(store.exists(key)).isFalse();
    }
  }

  @Test
  void lru_onAFullSlab_evictsExactlyTheLeastRecentlyUsed() {
    int slots = 64;
    try (LocalL3Store store = open(slots, LocalL3Config.Eviction.LRU); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < slots; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      assertThat(store.size()).isEqualTo(slots);
      assertThat(store.stats().evictions()).isZero();
      // Reads 0..9 and re-writes 10 (a use); only checks 11 for existence (not a use).
      for (long n = 0; n < 10; n++) assertThat(present(store, n, arena)).isTrue();
      assertThat(store.set(CrashPages.key(10), CrashPages.source(10, arena))).isTrue();
      assertThat(store.stats().pagesAlreadyPresent()).isEqualTo(1);
      assertThat(store.exists(CrashPages.key(11))).isTrue();
      // 12 new pages: the least recently used are 11..22 (0..10 were used after them).
      for (long n = 100; n < 112; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      assertThat(store.size()).isEqualTo(slots);
      assertThat(store.stats().evictions()).isEqualTo(12);
      assertThat(store.stats().rejectedFull()).isZero();
      for (long n = 0; n <= 10; n++) assertThat(store.exists(CrashPages.key(n))).as("page %d", n).isTrue();
      for (long n = 11; n <= 22; n++) assertThat(store.exists(CrashPages.key(n))).as("page %d", n).isFalse();
      for (long n = 23; n < slots; n++) assertThat(present(store, n, arena)).as("page %d", n).isTrue();
      for (long n = 100; n < 112; n++) assertThat(present(store, n, arena)).as("page %d", n).isTrue();
    }
  }

  @Test
  void lru_manyTimesTheSlab_keepsTheNewestPagesWhole() {
    int slots = 64;
    try (LocalL3Store store = open(slots, LocalL3Config.Eviction.LRU); Arena arena = Arena.ofShared()) {
      for (long n = 0; n < 2000; n++) {
        MemorySegment[] src = CrashPages.source(n, arena);
        assertThat(store.batchSet(List.of(CrashPages.key(n)), List.<MemorySegment[]>of(src))).containsExactly(true);
      }
      assertThat(store.size()).isEqualTo(slots);
      assertThat(store.stats().evictions()).isEqualTo(2000 - slots);
      for (long n = 2000 - slots; n < 2000; n++) assertThat(present(store, n, arena)).as("page %d", n).isTrue();
      assertThat(store.exists(CrashPages.key(2000 - slots - 1))).isFalse();
      assertThat(store.slab().countInState(SlabFile.COMMITTED)).isEqualTo(slots);
      assertThat(store.slab().countInState(SlabFile.WRITING)).isZero();
    }
  }

  @Test
  void wTinyLfu_onAFullSlab_keepsTheBound_andAFrequentlyReadPageSurvives() {
    int slots = 64;
    try (LocalL3Store store = open(slots, LocalL3Config.Eviction.W_TINY_LFU); Arena arena = Arena.ofShared()) {
      assertThat(store.set(CrashPages.key(0), CrashPages.source(0, arena))).isTrue();
      for (long n = 1000; n < 1000 + slots / 2 + 4; n++) store.set(CrashPages.key(n), CrashPages.source(n, arena));
      for (int i = 0; i < 30; i++) assertThat(present(store, 0, arena)).isTrue();
      for (long n = 1; n <= 600; n++) store.set(CrashPages.key(n), CrashPages.source(n, arena));
      assertThat(store.size()).isLessThanOrEqualTo(slots);
      assertThat(store.stats().evictions()).isGreaterThanOrEqualTo(1 + (slots / 2 + 4) + 600 - slots);
      assertThat(store.stats().rejectedFull()).isZero();
      assertThat(present(store, 0, arena)).as("W-TinyLFU keeps the page read 30 times over 600 one-off pages").isTrue();
      for (long n = 1; n <= 600; n++) {
        MemorySegment[] p = CrashPages.target(n, arena);
        if (store.get(CrashPages.key(n), p)) assertThat(CrashPages.matches(n, p)).isTrue();
      }
    }
  }

  @Test
  void clear_emptiesTheSlabAndTheOrder() {
    try (LocalL3Store store = open(16, LocalL3Config.Eviction.LRU); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < 16; n++) store.set(CrashPages.key(n), CrashPages.source(n, arena));
      store.clear();
      assertThat(store.size()).isZero();
      assertThat(store.slab().countInState(SlabFile.FREE)).isEqualTo(16);
      for (long n = 20; n < 52; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      assertThat(store.size()).isEqualTo(16);
      for (long n = 36; n < 52; n++) assertThat(present(store, n, arena)).isTrue();
    }
  }

  @Test
  void badConfiguration_namesTheValue() {
    assertThatThrownBy(() -> LocalL3Config.processPrivate(100, 4096, 2)).hasMessageContaining("capacityBytes 100");
    assertThatThrownBy(() -> LocalL3Config.processPrivate(1 << 20, 0, 2)).hasMessageContaining("maxPageBytes");
    assertThatThrownBy(() -> LocalL3Config.processPrivate(1 << 20, 4096, 0)).hasMessageContaining("maxParts");
    long tooMany = LocalL3Config.slotBytes(24, 2) * ((1L << 27) + 1);
    assertThatThrownBy(() -> LocalL3Config.processPrivate(tooMany, 24, 2)).hasMessageContaining("capacityBytes " + tooMany)
        .hasMessageContaining("process-private");
    assertThatThrownBy(() -> LocalL3Config.processPrivate(1 << 20, 4096, 2, null)).hasMessageContaining("eviction");
    assertThatThrownBy(() -> LocalL3Config.Eviction.parse("fifo")).hasMessageContaining("'fifo'").hasMessageContaining("lru");
    assertThat(LocalL3Config.Eviction.parse("LRU")).isEqualTo(LocalL3Config.Eviction.LRU);
    assertThat(LocalL3Config.Eviction.parse("w-tinylfu")).isEqualTo(LocalL3Config.Eviction.W_TINY_LFU);
    assertThatThrownBy(() -> new LocalL3Config(tmp, 1 << 20, 4096, 2, false, LocalL3Config.Eviction.LRU))
        .hasMessageContaining("eviction lru").hasMessageContaining(tmp.toString());
    assertThatThrownBy(() -> new LocalL3Config(null, 1 << 20, 4096, 2, true, LocalL3Config.Eviction.W_TINY_LFU))
        .hasMessageContaining("syncWrites");
    assertThatThrownBy(() -> LocalL3Config.of(null, 1 << 20, 4096, 2)).hasMessageContaining("directory")
        .hasMessageContaining("processPrivate");
  }
}
