package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The in-flight table against a HashMap: after any sequence of puts and removals of ids drawn from a
 * small range (so that probe runs collide, wrap around and grow the table), both hold the same ops.
 */
class OpTablePropertyTest {
  @Test
  void table_randomPutsAndRemoves_agreesWithAMap() {
    qt().withExamples(Integer.getInteger("hicache.pbt.examples", 150)).withFixedSeed(5)
        .forAll(lists().of(integers().between(0, 2 * 300 - 1)).ofSizeBetween(1, 600))
        .checkAssert(ops -> {
          OpTable table = new OpTable();
          Map<Long, Object> ref = new HashMap<>();
          for (int op : ops) {
            // ids far apart as well as adjacent: the controller's are sequential, but any long must work
            long id = (op % 300) * ((op % 7 == 0) ? 1_000_003L : 1L);
            if (op < 300) {
              if (ref.containsKey(id)) continue;
              Object o = new Object();
              table.put(id, o);
              ref.put(id, o);
            } else {
              assertThat(table.remove(id)).isSameAs(ref.remove(id));
            }
            assertThat(table.size()).isEqualTo(ref.size());
          }
          for (long id = 0; id < 300; id++) {
            assertThat(table.get(id)).isSameAs(ref.get(id));
            assertThat(table.get(id * 1_000_003L)).isSameAs(ref.get(id * 1_000_003L));
          }
        });
  }

  @Test
  void put_ofAnIdInFlight_isRefused() {
    OpTable table = new OpTable();
    table.put(7, "a");
    assertThatThrownBy(() -> table.put(7, "b")).isInstanceOf(IllegalStateException.class).hasMessageContaining("op 7");
    assertThat(table.get(7)).isEqualTo("a");
  }
}
