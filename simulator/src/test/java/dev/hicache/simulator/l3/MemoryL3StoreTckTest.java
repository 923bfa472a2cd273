package dev.hicache.simulator.l3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.api.tck.L3StoreTck;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's L3 model against the L3 contract every backend passes, plus its LRU bound. */
class MemoryL3StoreTckTest extends L3StoreTck {
  @Override protected L3Store newStore() {
    return new MemoryL3Store(1_000_000);
  }

  static PageKey key(int i) {
    byte[] b = new byte[32];
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    return PageKey.ofDigest(b);
  }

  @Test
  void capacity_evictsTheLeastRecentlyUsedPage() {
    MemoryL3Store s = new MemoryL3Store(2);
    MemorySegment[] page = {MemorySegment.ofArray(new byte[] {1, 2})};
    s.set(key(1), page);
    s.set(key(2), page);
    assertThat(s.get(key(1), MemorySegment.ofArray(new byte[2]))).isTrue(); // 1 is now the most recent
    s.set(key(3), page);
    assertThat(s.batchExists(List.of(key(1)))).isEqualTo(1);
    assertThat(s.batchExists(List.of(key(2)))).isZero();
    assertThat(s.size()).isEqualTo(2);
    assertThat(s.evictions()).isEqualTo(1);
  }

  /** Against a LinkedHashMap in access order (the model's previous layout): same hits, sizes, LRU order. */
  @Test
  void randomOperations_matchAnAccessOrderedLinkedHashMap() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(8);
    int capacity = 3_000; // grows the table from 1,024 slots to 8,192 on the way
    MemoryL3Store s = new MemoryL3Store(capacity);
    java.util.LinkedHashMap<PageKey, Byte> ref = new java.util.LinkedHashMap<>(16, 0.75f, true);
    long refEvictions = 0;
    for (int op = 0; op < 40_000; op++) {
      PageKey k = key(rnd.nextInt(7_000));
      byte v = (byte) rnd.nextInt(256);
      switch (rnd.nextInt(4)) {
        case 0, 1 -> {
          s.set(k, new MemorySegment[] {MemorySegment.ofArray(new byte[] {v})});
          if (!ref.containsKey(k)) {
            ref.put(k, v);
            if (ref.size() > capacity) {
              ref.pollFirstEntry();
              refEvictions++;
            }
          }
        }
        case 2 -> {
          byte[] into = new byte[1];
          boolean hit = s.get(k, MemorySegment.ofArray(into));
          Byte want = ref.get(k);
          assertThat(hit).isEqualTo(want != null);
          if (hit) assertThat(into[0]).isEqualTo(want);
        }
        default -> assertThat(s.remove(k)).isEqualTo(ref.remove(k) != null);
      }
      assertThat(s.batchExists(List.of(k))).isEqualTo(ref.containsKey(k) ? 1 : 0);
    }
    assertThat(s.size()).isEqualTo(ref.size());
    assertThat(s.evictions()).isEqualTo(refEvictions);
    assertThat(List.copyOf(s.snapshot().keySet())).isEqualTo(List.copyOf(ref.keySet()));
  }
}
