package dev.hicache.simulator.l3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hicache.api.PageKey;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The LRU model's log (LocalLruL3Model's Javadoc): compaction when the ring is full, uses of the
 * page whose record a compaction moves, and index words left to die by evictions over many turns
 * of the log's positions, each against a plain LRU map (access order) as the reference.
 */
class LocalLruL3ModelLogTest {
  private static final MemorySegment[] STUB = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};

  /** The reference: an access-ordered map, trimmed to the capacity from its eldest. */
  private static final class LruMap {
    final int capacity;
    final LinkedHashMap<PageKey, Boolean> map = new LinkedHashMap<>(16, 0.75f, true);

    LruMap(int capacity) {
      this.capacity = capacity;
    }

    void use(PageKey k) {
      if (map.get(k) == null) {
        if (map.size() == capacity) map.remove(map.keySet().iterator().next());
        map.put(k, true);
      }
    }
  }

  private static List<PageKey> order(LocalLruL3Model model) {
    List<PageKey> keys = new ArrayList<>();
    model.forEachKeyInLruOrder(keys::add);
    return keys;
  }

  private static PageKey key(int i) {
    return LocalLruL3ModelEquivalenceTest.key(i);
  }

  @Test
  void fullLog_isCompactedInOrder_atTheBound() {
    // 4 pages, a log of 8 records: the 4 writes and 4 uses fill it; the 9th record compacts it.
    try (LocalLruL3Model model = new LocalLruL3Model(LocalLruL3ModelEquivalenceTest.config(4), 1, 8)) {
      LruMap ref = new LruMap(4);
      for (int i = 0; i < 4; i++) {
        model.set(key(i), STUB);
        ref.use(key(i));
      }
      for (int i : new int[] {1, 2, 1, 0}) { // 8 records, 4 of them stale
        model.set(key(i), STUB);
        ref.use(key(i));
      }
      assertThat(model.compactions()).isZero();
      assertThat(order(model)).containsExactlyElementsOf(ref.map.keySet());
      model.set(key(3), STUB); // the 9th record: the log is full, so it is compacted first
      ref.use(key(3));
      assertThat(model.compactions()).isEqualTo(1);
      assertThat(order(model)).containsExactlyElementsOf(ref.map.keySet()).containsExactly(key(2), key(1), key(0), key(3));
      // the records moved by the compaction are found, used and evicted as before
      for (int i : new int[] {2, 5, 1, 6, 7}) {
        model.set(key(i), STUB);
        ref.use(key(i));
        assertThat(order(model)).as("after key " + i).containsExactlyElementsOf(ref.map.keySet());
      }
      assertThat(model.exists(key(0))).isFalse();
      assertThat(model.exists(key(1))).isTrue();
    }
  }

  @Test
  void usesAndEvictions_overManyTurnsOfTheLog_keepTheExactLruOrder() {
    // 5 pages over 9 keys, a log of 8: compactions, reads of records just moved, and evicted
    // pages' words outliving many turns of the positions (modulo 4 logs) until swept.
    try (LocalLruL3Model model = new LocalLruL3Model(LocalLruL3ModelEquivalenceTest.config(5), 1, 8)) {
      LruMap ref = new LruMap(5);
      SplittableRandom r = new SplittableRandom(7);
      for (int step = 0; step < 20_000; step++) {
        PageKey k = key(r.nextInt(9));
        String at = "step " + step;
        switch (r.nextInt(4)) {
          case 0, 1 -> {
            assertThat(model.set(k, STUB)).as(at).isTrue();
            ref.use(k);
          }
          case 2 -> {
            MemorySegment[] t = {MemorySegment.ofArray(new byte[8]), MemorySegment.ofArray(new byte[16])};
            boolean held = ref.map.containsKey(k);
            assertThat(model.get(k, t)).as(at).isEqualTo(held);
            if (held) ref.use(k);
          }
          default -> {
            assertThat(model.remove(k)).as(at).isEqualTo(ref.map.remove(k) != null);
          }
        }
        assertThat(order(model)).as(at).containsExactlyElementsOf(ref.map.keySet());
        for (int i = 0; i < 9; i++) assertThat(model.exists(key(i))).as(at + " key " + i).isEqualTo(ref.map.containsKey(key(i)));
      }
      assertThat(model.compactions()).isGreaterThan(100);
    }
  }

  @Test
  void log_mustBeAPowerOfTwoAboveThePages() {
    assertThatThrownBy(() -> new LocalLruL3Model(LocalLruL3ModelEquivalenceTest.config(4), 1, 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a log of 4 records is not a power of two above 4 pages");
    assertThatThrownBy(() -> new LocalLruL3Model(LocalLruL3ModelEquivalenceTest.config(4), 1, 12))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a log of 12 records");
    assertThat(LocalLruL3Model.defaultLogRecords(468_750)).isEqualTo(1 << 20);
    assertThat(LocalLruL3Model.defaultLogRecords(4)).isEqualTo(8);
    assertThat(LocalLruL3Model.defaultLogRecords(1)).isEqualTo(2);
  }
}
