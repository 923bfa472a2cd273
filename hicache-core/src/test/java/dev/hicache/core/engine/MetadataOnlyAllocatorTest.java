package dev.hicache.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The simulator's page allocator ({@link TierPageAllocator#metadataOnly}) against a set of the
 * pages handed out: allocations are distinct free pages, every free of a page not allocated (a
 * double free, a page never handed out, one out of range) is refused, and the count of free pages
 * stays exact. Capacities straddle 64-page words.
 */
class MetadataOnlyAllocatorTest {

  @Test
  void allocAndFree_againstTheSetOfPagesHandedOut() {
    qt().withExamples(Integer.getInteger("hicache.pbt.examples", 150)).withFixedSeed(18)
        .forAll(integers().between(1, 200), lists().of(integers().between(-9, 9)).ofSizeBetween(1, 120))
        .checkAssert((pages, ops) -> {
          TierPageAllocator a = TierPageAllocator.metadataOnly(pages);
          List<Integer> held = new ArrayList<>();
          Set<Integer> heldSet = new HashSet<>();
          int step = 0;
          for (int op : ops) {
            step++;
            if (op > 0) {
              int[] got = a.alloc(op);
              if (op > pages - held.size()) {
                assertThat(got).as("step %d: more than the free pages", step).isNull();
                continue;
              }
              assertThat(got).hasSize(op);
              for (int p : got) {
                assertThat(p).isBetween(0, pages - 1);
                assertThat(heldSet.add(p)).as("step %d: page %d handed out twice", step, p).isTrue();
                held.add(p);
              }
            } else if (op < 0 && !held.isEmpty()) {
              int p = held.remove(Math.floorMod(op * 7 + step, held.size()));
              heldSet.remove(p);
              a.free(new int[] {p});
              int again = p;
              assertThatThrownBy(() -> a.free(new int[] {again})).isInstanceOf(IllegalStateException.class)
                  .hasMessageContaining("page " + again + " freed but not allocated");
            } else {
              for (int p : new int[] {-1, pages}) {
                assertThatThrownBy(() -> a.free(new int[] {p})).isInstanceOf(IllegalStateException.class);
              }
              for (int p = 0; p < pages; p++) {
                if (heldSet.contains(p)) continue;
                int never = p;
                assertThatThrownBy(() -> a.free(new int[] {never})).isInstanceOf(IllegalStateException.class);
                break;
              }
            }
            assertThat(a.available()).isEqualTo(pages - held.size());
            assertThat(a.capacity()).isEqualTo(pages);
          }
        });
  }
}
