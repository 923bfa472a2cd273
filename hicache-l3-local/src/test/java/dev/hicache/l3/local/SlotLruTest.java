package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SlotLru} against a LinkedHashSet in access order, checked after every step. */
class SlotLruTest {
  private static final int SLOTS = 24;

  @Test
  void randomUsesAndFrees_keepTheOrderOfALinkedHashSet() {
    qt().withExamples(300).forAll(lists().of(integers().between(0, 4 * SLOTS - 1)).ofSizeBetween(1, 200)).checkAssert(ops -> {
      SlotLru lru = new SlotLru(SLOTS);
      LinkedHashSet<Integer> model = new LinkedHashSet<>();
      for (int op : ops) {
        int slot = op % SLOTS;
        if (op < 3 * SLOTS) { // a use: to the tail
          model.remove(slot);
          model.add(slot);
          lru.toTail(slot);
        } else { // a free
          model.remove(slot);
          lru.unlink(slot);
        }
        List<Integer> order = new ArrayList<>(model);
        assertThat(lru.size()).isEqualTo(order.size());
        assertThat(lru.coldest()).isEqualTo(order.isEmpty() ? -1 : order.getFirst());
        for (int s = 0; s < SLOTS; s++) assertThat(lru.linked(s)).isEqualTo(model.contains(s));
        int max = 1 + op % 7;
        int[] out = new int[max];
        int n = lru.coldest(out, max);
        assertThat(Arrays.stream(out, 0, n).boxed().toList())
            .as("the %d coldest", max).isEqualTo(order.subList(0, Math.min(max, order.size())));
      }
    });
  }
}
