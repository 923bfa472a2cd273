package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.PageKey;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The process-private index against a {@link HashMap} reference model: random sequences of
 * putIfAbsent, conditional remove (by entry, by key and slot, and by slot alone: the entry last
 * published for it), get, locate and rehash, with the table's invariants (size,
 * at most half full, every entry reachable from its home) and full agreement with the model
 * checked after every step.
 */
class HeapPageIndexTest {
  /**
   * 48 keys: 16 random, 16 that share their first word with one of those (they differ in the last),
   * 16 that differ from one another in the second word only: lookups must compare whole keys, and
   * probe runs must form and be repaired after deletions.
   */
  static final List<PageKey> KEYS = keys();

  private static List<PageKey> keys() {
    List<PageKey> out = new ArrayList<>();
    java.util.SplittableRandom r = new java.util.SplittableRandom(11);
    for (int i = 0; i < 16; i++) out.add(key(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong()));
    for (int i = 0; i < 16; i++) out.add(key(word(out.get(i), 0), r.nextLong(), r.nextLong(), r.nextLong() ^ i));
    for (int i = 0; i < 16; i++) out.add(key(42, i, 7, 9));
    return out;
  }

  private static PageKey key(long a, long b, long c, long d) {
    return PageKey.ofDigest(ByteBuffer.allocate(32).putLong(a).putLong(b).putLong(c).putLong(d).array());
  }

  private static long word(PageKey k, int w) {
    return ByteBuffer.wrap(k.bytes()).getLong(8 * w);
  }

  private static PageIndex.Entry entry(long bits) {
    return new PageIndex.Entry((int) ((bits >>> 8) & 0x3FF), (int) (bits >>> 20), (int) (bits >>> 40) & 0xFFFF, bits * 31);
  }

  /** The model's removal of {@code k}: also forgets it as its slot's last published key. */
  private static void forget(Map<PageKey, PageIndex.Entry> model, Map<Integer, PageKey> lastBySlot, PageKey k) {
    PageIndex.Entry gone = model.remove(k);
    if (gone != null && k.equals(lastBySlot.get(gone.slot()))) lastBySlot.remove(gone.slot());
  }

  /** One step: the op in the low 3 bits, the key in the next 5 (mod 48), the value from the rest. */
  private static void step(HeapPageIndex index, Map<PageKey, PageIndex.Entry> model, Map<Integer, PageKey> lastBySlot, long op) {
    PageKey k = KEYS.get((int) ((op >>> 3) & 0x3F) % KEYS.size());
    PageIndex.Entry e = entry(op);
    switch ((int) (op & 7)) {
      case 0, 1, 2 -> {
        PageIndex.Entry before = model.putIfAbsent(k, e);
        assertThat(index.putIfAbsent(k, e)).isEqualTo(before);
        if (before == null) lastBySlot.put(e.slot(), k);
      }
      case 3 -> { // remove the present entry
        PageIndex.Entry present = model.get(k);
        boolean removed = index.remove(k, present == null ? e : present);
        assertThat(removed).isEqualTo(present != null);
        forget(model, lastBySlot, k);
      }
      case 4 -> { // remove with a value that does not match: nothing happens
        PageIndex.Entry present = model.get(k);
        PageIndex.Entry other = new PageIndex.Entry(e.slot(), e.generation() + 1, e.length(), e.checksum());
        if (present != null && present.equals(other)) other = new PageIndex.Entry(e.slot() + 1, 0, 0, 0);
        assertThat(index.remove(k, other)).isFalse();
        assertThat(index.remove(k, PageIndex.DAMAGED)).isFalse();
      }
      case 5 -> { // rehash into any capacity that holds the entries
        int min = HeapPageIndex.MIN_CAPACITY;
        while (min / 2 < model.size()) min <<= 1;
        index.rehash(min << (int) ((op >>> 20) & 3));
      }
      case 6 -> { // remove by slot and generation: the present ones, or (odd value bits) others
        PageIndex.Entry present = model.get(k);
        boolean exact = present != null && (op & (1L << 40)) == 0;
        int slot = exact ? present.slot() : e.slot(), gen = exact ? present.generation() : e.generation();
        boolean names = present != null && present.slot() == slot && present.generation() == gen;
        assertThat(index.removeIfAt(k, slot, gen)).isEqualTo(names);
        if (names) forget(model, lastBySlot, k);
      }
      default -> {
        if ((op & (1L << 41)) == 0) {
          // A batch prefetch first (any keys; slots present, absent or outside the index) changes nothing.
          if ((op & (1L << 43)) != 0) {
            int[] slots = {e.slot(), -1, 1 << 30, (int) (op >>> 50) & 0x3F};
            index.prefetch(KEYS.subList(0, (int) ((op >>> 44) & 15)), slots, (int) ((op >>> 48) & 3) + 1);
          }
          assertThat(index.get(k)).isEqualTo(model.get(k));
          return;
        }
        // Remove by slot alone (the LRU's eviction): the slot of a present entry, or (odd value
        // bits) any slot; at that entry's generation, or (bit 42) another one.
        PageIndex.Entry present = model.get(k);
        int slot = present != null && (op & (1L << 40)) == 0 ? present.slot() : e.slot();
        PageKey last = lastBySlot.get(slot);
        int gen = last == null ? e.generation() : model.get(last).generation() + ((op & (1L << 42)) == 0 ? 0 : 1);
        boolean names = last != null && model.get(last).generation() == gen;
        assertThat(index.removeSlotIfAt(slot, gen)).as("removeSlotIfAt(%s, %s)", slot, gen).isEqualTo(names);
        if (names) forget(model, lastBySlot, last);
      }
    }
  }

  private static void agrees(HeapPageIndex index, Map<PageKey, PageIndex.Entry> model) {
    index.checkInvariants();
    assertThat(index.size()).isEqualTo(model.size());
    for (PageKey k : KEYS) {
      PageIndex.Entry want = model.get(k);
      assertThat(index.get(k)).as("get %s", k).isEqualTo(want);
      long at = index.locate(k);
      if (want == null) {
        assertThat(at).isEqualTo(PageIndex.ABSENT);
      } else {
        assertThat(PageIndex.slotOf(at)).isEqualTo(want.slot());
        assertThat(PageIndex.generationOf(at)).isEqualTo(want.generation());
      }
    }
    Set<PageKey> visited = new HashSet<>();
    index.forEachKey(visited::add);
    assertThat(visited).isEqualTo(model.keySet());
  }

  @Test
  void randomOperations_agreeWithAHashMap_andKeepTheInvariants() {
    qt().withExamples(300).forAll(lists().of(longs().all()).ofSizeBetween(0, 250)).checkAssert(ops -> {
      try (HeapPageIndex index = new HeapPageIndex(0)) {
        Map<PageKey, PageIndex.Entry> model = new HashMap<>();
        Map<Integer, PageKey> lastBySlot = new HashMap<>();
        for (long op : ops) {
          step(index, model, lastBySlot, op);
          agrees(index, model);
        }
      }
    });
  }

  @Test
  void growsPastItsInitialCapacity_andStaysAtMostHalfFull() {
    try (HeapPageIndex index = new HeapPageIndex(0)) {
      Map<PageKey, PageIndex.Entry> model = new HashMap<>();
      java.util.SplittableRandom r = new java.util.SplittableRandom(3);
      for (int i = 0; i < 5000; i++) {
        PageKey k = key(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong());
        PageIndex.Entry e = new PageIndex.Entry(i, i, 100, i);
        assertThat(index.putIfAbsent(k, e)).isNull();
        model.put(k, e);
      }
      index.checkInvariants();
      assertThat(index.capacity()).isEqualTo(16384);
      for (var m : model.entrySet()) assertThat(index.get(m.getKey())).isEqualTo(m.getValue());
      // Remove every other one: backward shifts must keep the rest reachable.
      int n = 0;
      for (var m : model.entrySet()) if (n++ % 2 == 0) assertThat(index.remove(m.getKey(), m.getValue())).isTrue();
      index.checkInvariants();
      assertThat(index.size()).isEqualTo(2500);
    }
  }

  @Test
  void presized_neverRehashes() {
    try (HeapPageIndex index = new HeapPageIndex(1000)) {
      int capacity = index.capacity();
      assertThat(capacity).isEqualTo(2048);
      java.util.SplittableRandom r = new java.util.SplittableRandom(5);
      for (int i = 0; i < 1000; i++) index.putIfAbsent(key(r.nextLong(), 0, 0, i), new PageIndex.Entry(i, 0, 1, 0));
      assertThat(index.capacity()).isEqualTo(capacity);
    }
  }

  @Test
  void badArguments_areRejectedNamingTheValue() {
    assertThatThrownBy(() -> new HeapPageIndex(-1)).hasMessageContaining("-1");
    try (HeapPageIndex index = new HeapPageIndex(0)) {
      assertThatThrownBy(() -> index.putIfAbsent(KEYS.get(0), new PageIndex.Entry(-1, 0, 0, 0))).hasMessageContaining("slot -1");
      assertThatThrownBy(() -> index.rehash(100)).hasMessageContaining("capacity 100");
      index.close();
      assertThatThrownBy(() -> index.get(KEYS.get(0))).hasMessageContaining("closed");
    }
  }
}
