package dev.hicache.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageHasher;
import dev.hicache.api.PageKey;
import dev.hicache.simulator.virtualtime.TieredSimulation;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The memo gives exactly the keys of hashing every page, and skips hashing on repeats. */
class BlockKeyMemoTest {

  /**
   * Prompts made of a few blocks (sparse pages as {@link TraceTokens} writes them, some dense
   * pages, some pages that differ from a sparse one only past their first two ids), in orders that
   * repeat blocks after the same and after different priors, some with a namespace seed, on a table
   * small enough to collide.
   */
  @Test
  void keys_equalHashingEveryPage() {
    qt().withExamples(150).forAll(longs().all(), integers().between(1, 5), integers().between(1, 9), integers().between(1, 4))
        .checkAssert((seed, pageSizeLog2, groupPages, slotsLog2) -> {
          int ps = 1 << (pageSizeLog2 - 1); // 1..16
          Random rnd = new Random(seed);
          BlockKeyMemo memo = new BlockKeyMemo(ps, groupPages, slotsLog2);
          PageHasher hasher = new PageHasher(ps);
          PageKey nsSeed = Namespace.seed("tenant-" + rnd.nextInt(3), null);
          int blocks = 1 + rnd.nextInt(6);
          int[][] pool = new int[blocks][];
          for (int b = 0; b < blocks; b++) pool[b] = block(rnd, ps, groupPages);
          for (int req = 0; req < 30; req++) {
            int n = 1 + rnd.nextInt(5);
            int tail = rnd.nextInt(ps * groupPages + 1);
            int[] tokens = new int[n * ps * groupPages + tail];
            for (int b = 0; b < n; b++) {
              int[] src = pool[rnd.nextInt(blocks)];
              System.arraycopy(src, 0, tokens, b * src.length, src.length);
            }
            for (int i = n * ps * groupPages; i < tokens.length; i++) tokens[i] = rnd.nextInt(3) == 0 ? rnd.nextInt(4) : 0;
            PageKey s = rnd.nextInt(4) == 0 ? nsSeed : null;
            assertThat(memo.pageKeys(s, tokens)).containsExactly(TieredSimulation.pageKeys(hasher, s, tokens));
          }
        });
  }

  /** One group of pages: mostly sparse (two small ids, rest zeros), at times dense or near-sparse. */
  private static int[] block(Random rnd, int ps, int groupPages) {
    int[] t = new int[ps * groupPages];
    for (int p = 0; p < groupPages; p++) {
      int at = p * ps;
      t[at] = rnd.nextInt(4);
      if (ps > 1) t[at + 1] = rnd.nextInt(2);
      switch (rnd.nextInt(6)) {
        case 0 -> { for (int i = at; i < at + ps; i++) t[i] = rnd.nextInt(3); } // dense
        case 1 -> { if (ps > 2) t[at + 2 + rnd.nextInt(ps - 2)] = 1; }          // a non-zero past the ids
        default -> { }
      }
    }
    return t;
  }

  @Test
  void repeatedTraceBlocks_areNotHashedAgain() {
    int ps = 64;
    BlockKeyMemo memo = BlockKeyMemo.forTraceBlocks(ps);
    PageHasher hasher = new PageHasher(ps);
    int[] first = tokens(ps, 1, 2, 3);
    int[] again = tokens(ps, 1, 2, 3, 4);
    int[] otherPrefix = tokens(ps, 9, 2, 3);
    assertThat(memo.pageKeys(null, first)).containsExactly(TieredSimulation.pageKeys(hasher, first));
    assertThat(memo.hashed()).isEqualTo(24);
    assertThat(memo.pageKeys(null, again)).containsExactly(TieredSimulation.pageKeys(hasher, again));
    assertThat(memo.hits()).isEqualTo(24);
    assertThat(memo.hashed()).isEqualTo(32);
    // Blocks 2 and 3 after a different first block: other priors, so hashed again.
    assertThat(memo.pageKeys(null, otherPrefix)).containsExactly(TieredSimulation.pageKeys(hasher, otherPrefix));
    assertThat(memo.hits()).isEqualTo(24);
    assertThat(memo.hashed()).isEqualTo(56);
  }

  /** A trace prompt of whole 512-token blocks with these hash ids ({@link TraceTokens}' pages). */
  private static int[] tokens(int ps, long... hashIds) {
    int perBlock = 512 / ps;
    int[] t = new int[hashIds.length * 512];
    for (int k = 0; k < t.length / ps; k++) {
      long serial = hashIds[k / perBlock] * perBlock + k % perBlock;
      t[k * ps] = (int) serial;
      t[k * ps + 1] = (int) (serial >>> 32);
    }
    return t;
  }

  @Test
  void densePrompts_areHashedWithoutTheTable() {
    BlockKeyMemo memo = BlockKeyMemo.forTraceBlocks(64);
    PageHasher hasher = new PageHasher(64);
    int[] dense = new int[512];
    for (int i = 0; i < dense.length; i++) dense[i] = i + 1;
    assertThat(memo.pageKeys(null, dense)).containsExactly(TieredSimulation.pageKeys(hasher, dense));
    assertThat(memo.pageKeys(null, dense)).containsExactly(TieredSimulation.pageKeys(hasher, dense));
    assertThat(memo.hits()).isZero();
    assertThat(memo.hashed()).isEqualTo(16);
    assertThat(memo.pageKeys(null, new int[63])).isEmpty();
  }

  @Test
  void badSizes_areRefused() {
    assertThatThrownBy(() -> new BlockKeyMemo(64, 0, 10)).hasMessageContaining("pages per group");
    assertThatThrownBy(() -> new BlockKeyMemo(64, 8, 0)).hasMessageContaining("2^0");
  }
}
