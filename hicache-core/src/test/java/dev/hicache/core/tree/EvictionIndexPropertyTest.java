package dev.hicache.core.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The eviction index against a sorted set in the same order (what the tree used before): after any
 * sequence of adds, removals, polls and in-between order changes of non-members, both hold the same
 * members and yield the same smallest one. Times are drawn from a tiny range so that ties (broken by
 * the id) are the common case.
 */
class EvictionIndexPropertyTest {
  static final Comparator<TreeNode> ORDER = (a, b) -> {
    int c = Long.compare(a.lastAccessTime, b.lastAccessTime);
    return c != 0 ? c : Long.compare(a.id, b.id);
  };

  @Test
  void index_randomOperations_yieldsTheSortedSetsOrder() {
    qt().withExamples(Integer.getInteger("hicache.pbt.examples", 150)).withFixedSeed(7)
        .forAll(lists().of(integers().between(0, 4 * 24 - 1)).ofSizeBetween(1, 300))
        .checkAssert(ops -> {
          List<TreeNode> nodes = new ArrayList<>();
          for (int i = 0; i < 24; i++) nodes.add(new TreeNode(i, 0));
          for (int variant = 0; variant < 8; variant++) {
            int slot = variant % 4;
            for (TreeNode n : nodes) n.lastAccessTime = n.id % 3;
            // ORDER is (lastAccessTime, id): the LRU variant, keeping the keys in the heap, must agree
            EvictionIndex index = new EvictionIndex(ORDER, slot, variant >= 4);
            TreeSet<TreeNode> ref = new TreeSet<>(ORDER);
            for (int op : ops) {
              TreeNode n = nodes.get(op % 24);
              switch (op / 24) {
                case 0 -> assertThat(index.add(n)).isEqualTo(ref.add(n));
                case 1 -> assertThat(index.remove(n)).isEqualTo(ref.remove(n));
                case 2 -> assertThat(index.pollFirst()).isSameAs(ref.pollFirst());
                default -> {
                  // A member's order may change only while it is out of the index.
                  if (!ref.contains(n)) n.lastAccessTime = (n.lastAccessTime * 7 + op) % 5;
                }
              }
              assertThat(index.size()).isEqualTo(ref.size());
              for (TreeNode m : nodes) assertThat(index.contains(m)).isEqualTo(ref.contains(m));
            }
            while (!ref.isEmpty()) assertThat(index.pollFirst()).isSameAs(ref.pollFirst());
            assertThat(index.pollFirst()).isNull();
          }
        });
  }

  @Test
  void remove_ofAMemberWhoseOrderChangedInPlace_isRefusedOrCaughtByContains() {
    refusesAnInPlaceChange(new EvictionIndex(ORDER, EvictionIndex.DEVICE));
    refusesAnInPlaceChange(new EvictionIndex(ORDER, EvictionIndex.DEVICE, true));
  }

  private static void refusesAnInPlaceChange(EvictionIndex index) {
    List<TreeNode> nodes = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      TreeNode n = new TreeNode(i, 10 + i);
      nodes.add(n);
      assertThat(index.add(n)).isTrue();
    }
    TreeNode leaf = nodes.get(6); // the last heap slot: a child of node 2
    leaf.lastAccessTime = 0;       // now smaller than its parent: the heap no longer holds it in order
    assertThat(index.contains(leaf)).isFalse();
    assertThat(index.remove(leaf)).isFalse();
  }
}
