package dev.hicache.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The child table (open addressing, linear probing, backward-shift deletion) against a map, with
 * child-key hashes drawn from a tiny range so that collisions, long probe runs and wrap-around
 * are the common case rather than the rare one.
 */
class TreeNodeChildTableTest {
  static final int PS = 2;

  static TreeNode child(int symbol, int hash) {
    TreeNode n = new TreeNode(symbol, 0);
    n.keyArray = new int[] {symbol, symbol};
    n.keyTokens = PS;
    n.childKeyHash = hash;
    return n;
  }

  @Test
  void childTable_collidingAddsAndRemoves_findExactlyThePresentChildren() {
    qt().withExamples(Integer.getInteger("hicache.pbt.examples", 150)).withFixedSeed(11)
        .forAll(lists().of(integers().between(-40, 40)).ofSizeBetween(1, 200), integers().between(1, 8))
        .checkAssert((ops, hashRange) -> {
          TreeNode parent = child(-1000, 0);
          Map<Integer, TreeNode> present = new HashMap<>();
          for (int op : ops) {
            int symbol = Math.abs(op);
            if (op >= 0 && !present.containsKey(symbol)) {
              TreeNode c = child(symbol, symbol % hashRange * 0x10001); // same low and high bits
              parent.addChild(c);
              present.put(symbol, c);
            } else if (op < 0 && present.containsKey(symbol)) {
              parent.removeChild(present.remove(symbol));
            }
            assertThat(parent.childCount).isEqualTo(present.size());
            for (int s = 0; s <= 40; s++) {
              int[] page = {s, s};
              TreeNode found = parent.findChild(page, 0, s % hashRange * 0x10001, PS);
              assertThat(found).as("symbol %d", s).isSameAs(present.get(s));
            }
            assertThat(parent.children()).containsExactlyInAnyOrderElementsOf(present.values());
          }
        });
  }

  @Test
  void findChild_sameHashDifferentPage_verifiesThePage() {
    TreeNode parent = child(-1, 0);
    parent.addChild(child(1, 7));
    parent.addChild(child(2, 7));
    assertThat(parent.findChild(new int[] {2, 2}, 0, 7, PS).key()[0]).isEqualTo(2);
    assertThat(parent.findChild(new int[] {3, 3}, 0, 7, PS)).isNull();
    assertThat(List.of(parent.findChild(new int[] {1, 1}, 0, 7, PS).key()[0])).containsExactly(1);
  }
}
