package dev.hicache.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeySpanTest {
  static final int PS = 4;

  static int[] tokens(int pages) {
    int[] t = new int[pages * PS];
    for (int i = 0; i < t.length; i++) t[i] = i * 31 + 7;
    return t;
  }

  @Test
  void hashedSpan_anyRange_holdsExactlyTheChainsKeysOfThosePages() {
    PageHasher hasher = new PageHasher(PS);
    int[] t = tokens(20);
    List<PageKey> chain = hasher.chain(null, t, 2 * PS, 20 * PS);
    qt().withExamples(Integer.getInteger("hicache.pbt.examples", 150)).withFixedSeed(3)
        .forAll(integers().between(0, 18), integers().between(0, 18), integers().between(0, 18))
        .checkAssert((earlier, a, b) -> {
          int from = Math.min(a, b), to = Math.max(a, b);
          LazyPageKeys lazy = new LazyPageKeys(hasher, null, t, 2 * PS, 20 * PS);
          if (earlier > 0) lazy.get(earlier - 1); // some pages hashed before, some not
          KeySpan span = lazy.hashedSpan(from, to);
          assertThat(span).containsExactlyElementsOf(chain.subList(from, to));
          lazy.get(17); // hashing later pages changes nothing in the span
          assertThat(span).containsExactlyElementsOf(chain.subList(from, to));
        });
  }

  @Test
  void span_isUnmodifiableAndChecksItsBounds() {
    PageKey[] keys = new PageHasher(PS).chain(null, tokens(3), 0, 3 * PS).toArray(new PageKey[0]);
    KeySpan span = new KeySpan(keys, 1, 3);
    assertThat(span).containsExactly(keys[1], keys[2]);
    assertThatThrownBy(() -> span.set(0, keys[0])).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> span.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> new KeySpan(keys, 2, 4)).isInstanceOf(IndexOutOfBoundsException.class);
    keys[0] = null;
    assertThatThrownBy(() -> new KeySpan(keys, 0, 2)).isInstanceOf(NullPointerException.class);
  }
}
