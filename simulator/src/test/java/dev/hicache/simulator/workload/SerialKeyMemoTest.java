package dev.hicache.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.simulator.trace.MooncakeTraceReader;
import dev.hicache.simulator.trace.TraceRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The memo gives exactly the keys of hashing every page by serial, and skips hashing on repeats. */
class SerialKeyMemoTest {
  private static final int B = MooncakeTraceReader.MOONCAKE_BLOCK_SIZE;

  /**
   * Prompts that extend, cut or change earlier ones (conversation turns), repeat them in another
   * namespace, or are new, from a small pool of serials (so the same serial follows different
   * pages: ids need not be prefix-unique), on rings and indexes small enough to wrap and collide,
   * with any probe page.
   */
  @Test
  void keys_equalHashingEveryPage() {
    qt().withExamples(150).forAll(longs().all(), integers().between(1, 7), integers().between(1, 4), integers().between(1, 9))
        .checkAssert((seed, ringLog2, indexLog2, probe) -> {
          Random rnd = new Random(seed);
          int ps = 1 << rnd.nextInt(10);
          SerialKeyMemo memo = new SerialKeyMemo(ps, probe, ringLog2, indexLog2);
          SerialPageKeys plain = new SerialPageKeys(ps);
          PageKey[] seeds = {null, Namespace.seed("tenant-0", null), Namespace.seed(null, "salt-1")};
          List<long[]> earlier = new ArrayList<>();
          long pages = 0;
          for (int req = 0; req < 40; req++) {
            long[] serials = prompt(rnd, earlier);
            earlier.add(serials);
            int n = rnd.nextInt(8) == 0 ? rnd.nextInt(serials.length + 1) : serials.length;
            PageKey s = seeds[rnd.nextInt(seeds.length)];
            assertThat(memo.pageKeys(s, serials, n)).containsExactly(plain.pageKeys(s, serials, n));
            pages += n;
          }
          assertThat(memo.hits() + memo.hashed()).isEqualTo(pages);
        });
  }

  /** A new prompt: an earlier one extended, cut, with a page changed, or fresh serials from a small pool. */
  private static long[] prompt(Random rnd, List<long[]> earlier) {
    int pool = 1 + rnd.nextInt(6);
    if (earlier.isEmpty() || rnd.nextInt(4) == 0) return fresh(rnd, pool, rnd.nextInt(20));
    long[] base = earlier.get(earlier.size() - 1 - rnd.nextInt(Math.min(5, earlier.size())));
    return switch (rnd.nextInt(4)) {
      case 0 -> Arrays.copyOf(base, rnd.nextInt(base.length + 1)); // cut
      case 1 -> { // a page changed
        long[] c = base.clone();
        if (c.length > 0) c[rnd.nextInt(c.length)] = rnd.nextInt(pool);
        yield c;
      }
      default -> { // extended: the next turn
        long[] more = fresh(rnd, pool, rnd.nextInt(12));
        long[] c = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, c, base.length, more.length);
        yield c;
      }
    };
  }

  private static long[] fresh(Random rnd, int pool, int pages) {
    long[] s = new long[pages];
    for (int i = 0; i < pages; i++) s[i] = rnd.nextInt(pool) + (rnd.nextInt(8) == 0 ? 1L << 40 : 0);
    return s;
  }

  /** A conversation's turns: each takes the pages the previous turn had from the memo. */
  @Test
  void aNextTurn_hashesOnlyItsNewPages() {
    SerialKeyMemo memo = SerialKeyMemo.forTraceBlocks(64);
    SerialPageKeys plain = new SerialPageKeys(64);
    long[] turn1 = TraceTokens.serials(record(3 * B, 0, 1, 2), 64, B);
    long[] turn2 = TraceTokens.serials(record(5 * B + 100, 0, 1, 2, 3, 4, 5), 64, B);
    assertThat(memo.pageKeys(null, turn1, 24)).containsExactly(plain.pageKeys(null, turn1, 24));
    assertThat(memo.hashed()).isEqualTo(24);
    assertThat(memo.pageKeys(null, turn2, 41)).containsExactly(plain.pageKeys(null, turn2, 41));
    assertThat(memo.hits()).isEqualTo(24);
    assertThat(memo.hashed()).isEqualTo(24 + 17);
    // Another conversation after the same first block (a shared system prompt): that block only.
    long[] other = TraceTokens.serials(record(2 * B, 0, 9), 64, B);
    assertThat(memo.pageKeys(null, other, 16)).containsExactly(plain.pageKeys(null, other, 16));
    assertThat(memo.hits()).isEqualTo(24 + 8);
  }

  /** The same serials in another namespace, or after another first page, are other pages: hashed. */
  @Test
  void anotherSeedOrPrefix_isHashed() {
    SerialKeyMemo memo = SerialKeyMemo.forTraceBlocks(64);
    SerialPageKeys plain = new SerialPageKeys(64);
    long[] a = TraceTokens.serials(record(2 * B, 1, 2), 64, B);
    PageKey ns = Namespace.seed("tenant-0", null);
    memo.pageKeys(null, a, 16);
    assertThat(memo.pageKeys(ns, a, 16)).containsExactly(plain.pageKeys(ns, a, 16));
    assertThat(memo.hits()).isZero();
    // Block 2 after block 3 instead of block 1: the probe of the second block finds the prompt
    // above, whose serials differ from page 0 on.
    long[] b = TraceTokens.serials(record(2 * B, 3, 2), 64, B);
    assertThat(memo.pageKeys(ns, b, 16)).containsExactly(plain.pageKeys(ns, b, 16));
    assertThat(memo.hits()).isZero();
    assertThat(memo.pageKeys(ns, a, 16)).containsExactly(plain.pageKeys(ns, a, 16));
    assertThat(memo.hits()).as("the namespace's own prompt").isEqualTo(16);
  }

  /** A prompt whose pages the ring no longer holds whole is not used. */
  @Test
  void aPromptOverwrittenInTheRing_isHashedAgain() {
    SerialKeyMemo memo = new SerialKeyMemo(64, 8, 5, 8); // a ring of 32 pages
    SerialPageKeys plain = new SerialPageKeys(64);
    long[] a = TraceTokens.serials(record(3 * B, 1, 2, 3), 64, B);
    long[] b = TraceTokens.serials(record(2 * B, 7, 8), 64, B);
    memo.pageKeys(null, a, 24);
    memo.pageKeys(null, b, 16); // 40 pages written: a's first 8 are gone
    assertThat(memo.pageKeys(null, b, 16)).containsExactly(plain.pageKeys(null, b, 16));
    assertThat(memo.hits()).as("b, still whole (wrapped around the ring's end)").isEqualTo(16);
    assertThat(memo.pageKeys(null, a, 24)).containsExactly(plain.pageKeys(null, a, 24));
    assertThat(memo.hits()).isEqualTo(16);
  }

  @Test
  void badArguments_areRefused() {
    assertThatThrownBy(() -> new SerialKeyMemo(0, 8, 10, 10)).hasMessageContaining("page size");
    assertThatThrownBy(() -> new SerialKeyMemo(64, 0, 10, 10)).hasMessageContaining("probe page");
    assertThatThrownBy(() -> new SerialKeyMemo(64, 8, 0, 10)).hasMessageContaining("2^0");
    assertThatThrownBy(() -> new SerialKeyMemo(64, 8, 10, 25)).hasMessageContaining("2^25");
    assertThatThrownBy(() -> SerialKeyMemo.forTraceBlocks(64).pageKeys(null, new long[2], 3)).hasMessageContaining("3 pages");
  }

  /** Token ids and serials in one pass are those of the two passes. */
  @Test
  void fillWithSerials_isFillAndSerials() {
    qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
      Random rnd = new Random(seed);
      int ps = 1 << rnd.nextInt(10);
      int blocks = 1 + rnd.nextInt(4);
      long[] ids = new long[blocks];
      for (int b = 0; b < blocks; b++) ids[b] = ps == 1 ? rnd.nextInt(1 << 20) : rnd.nextLong() >>> 12;
      TraceRecord rec = record((blocks - 1) * B + 1 + rnd.nextInt(B), ids);
      int[] twoPass = new int[rec.inputLength()], onePass = new int[rec.inputLength()];
      TraceTokens.fill(rec, ps, B, twoPass);
      long[] serials = new long[rec.inputLength() / ps];
      TraceTokens.fill(rec, ps, B, onePass, serials);
      assertThat(onePass).isEqualTo(twoPass);
      assertThat(serials).isEqualTo(TraceTokens.serials(rec, ps, B));
    });
    assertThatThrownBy(() -> TraceTokens.fill(record(B, 1), 2 * B, B, new int[B], null)).hasMessageContaining("page size 1024");
  }

  private static TraceRecord record(int inputLength, long... hashIds) {
    return new TraceRecord().set(0, inputLength, 1, hashIds, 1);
  }
}
