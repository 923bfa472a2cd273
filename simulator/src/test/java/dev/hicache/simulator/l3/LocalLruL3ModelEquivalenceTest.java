package dev.hicache.simulator.l3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.PageKey;
import dev.hicache.api.spi.L3Store;
import dev.hicache.l3.local.LocalL3Config;
import dev.hicache.l3.local.LocalL3Store;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The LRU model of the embedded store against the real store (process-private, lru), driven by
 * the same random calls over a key universe a few times the capacity, so hits, rewrites,
 * evictions, refused pages and shape mismatches are frequent: every answer, every byte read, the
 * statistics, the size and the key set are compared after every call; at the end, fresh keys
 * written one at a time evict the whole LRU order, which is compared key by key.
 */
class LocalLruL3ModelEquivalenceTest {
  // Part sizes of the pages written and of the read targets, for the simulator's stub config
  // (maxPageBytes 24, 2 parts: 128-byte slots): the stub itself, other shapes that fit (inline and
  // not: a 1-part page of 64 bytes fills the slot), and pages too large (3 parts; 65 bytes).
  private static final int[][] SHAPES = {{8, 16}, {8, 16}, {8, 16}, {24}, {1, 2}, {64}, {16, 16}, {0, 8}, {8, 8, 8}, {65}};
  private static final long STUB_BYTES = 24;
  private static final int STUB_PARTS = 2;

  static LocalL3Config config(int pages) {
    long slot = LocalL3Config.processPrivate(1L << 20, STUB_BYTES, STUB_PARTS).slotBytes();
    return LocalL3Config.processPrivate(pages * slot, STUB_BYTES, STUB_PARTS, LocalL3Config.Eviction.LRU);
  }

  /** Keys of the universe differ in one word or another (the index hashes all four). */
  static PageKey key(int i) {
    byte[] b = new byte[PageKey.BYTES];
    b[8 * (i % 4) + 7] = (byte) (i + 1);
    b[8 * (i % 4) + 6] = (byte) ((i + 1) >> 8);
    b[31 - (i % 3)] ^= (byte) 0x5a;
    return PageKey.ofDigest(b);
  }

  private static MemorySegment[] page(int shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] sizes = SHAPES[shape];
    MemorySegment[] parts = new MemorySegment[sizes.length];
    for (int p = 0; p < sizes.length; p++) {
      byte[] b = new byte[sizes[p]];
      r.nextBytes(b);
      parts[p] = MemorySegment.ofArray(b);
    }
    return parts;
  }

  private static Set<PageKey> keys(LocalL3Store real) {
    Set<PageKey> s = new HashSet<>();
    real.forEachKey(s::add);
    return s;
  }

  private static Set<PageKey> keys(LocalLruL3Model model) {
    Set<PageKey> s = new HashSet<>();
    model.forEachKeyInLruOrder(s::add);
    return s;
  }

  @Test
  void model_answersAsTheRealStore_callByCall() {
    qt().withExamples(400).forAll(integers().between(1, 12), integers().between(1, 5),
        lists().of(integers().all()).ofSizeBetween(1, 120))
        .checkAssert((pages, spread, ops) -> compare(pages, spread, ops, new LocalLruL3Model(config(pages))));
  }

  /**
   * The same with the index's buckets crowded (2 to 4 buckets of 15 words for 16 to 56 pages, the
   * simulator's are half empty), so that keys overflow into the next bucket and are removed from there.
   */
  @Test
  void model_withCrowdedBuckets_answersAsTheRealStore() {
    qt().withExamples(200).forAll(integers().between(16, 56), integers().between(1, 3),
        lists().of(integers().all()).ofSizeBetween(1, 150))
        .checkAssert((pages, spread, ops) -> {
          int buckets = pages < 30 ? 2 : 4;
          compare(pages, spread, ops, new LocalLruL3Model(config(pages), buckets));
        });
  }

  /**
   * The same with the smallest log (the first power of two above the page count): it is full
   * after a few uses, so compactions, and records moved by them, come every few calls.
   */
  @Test
  void model_withTheSmallestLog_answersAsTheRealStore() {
    qt().withExamples(200).forAll(integers().between(1, 24), integers().between(1, 4),
        lists().of(integers().all()).ofSizeBetween(1, 120))
        .checkAssert((pages, spread, ops) -> compare(pages, spread, ops,
            new LocalLruL3Model(config(pages), pages < 15 ? 1 : 2, Integer.highestOneBit(pages) << 1)));
  }

  private static void compare(int pages, int spread, List<Integer> ops, LocalLruL3Model newModel) {
          try (LocalL3Store real = LocalL3Store.open(config(pages)); LocalLruL3Model model = newModel) {
            assertThat(model.config().slotCount()).isEqualTo(pages);
            int universe = pages * spread + 1;
            for (int step = 0; step < ops.size(); step++) {
              SplittableRandom r = new SplittableRandom(ops.get(step));
              String at = "step " + step + " of " + ops.size() + " (capacity " + pages + ", universe " + universe + ")";
              int n = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(Math.min(L3Store.MAX_BATCH_PAGES, 2 * pages + 2));
              List<PageKey> batch = new ArrayList<>(n);
              for (int i = 0; i < n; i++) batch.add(key(r.nextInt(universe)));
              int op = r.nextInt(20);
              if (op < 8) {
                List<MemorySegment[]> sources = new ArrayList<>(n);
                for (int i = 0; i < n; i++) sources.add(page(r.nextInt(SHAPES.length), r.nextLong()));
                assertThat(model.batchSet(batch, sources)).as(at + ": batchSet").isEqualTo(real.batchSet(batch, sources));
              } else if (op < 13) {
                assertThat(model.batchExists(batch)).as(at + ": batchExists").isEqualTo(real.batchExists(batch));
              } else if (op < 18) {
                List<MemorySegment[]> forReal = new ArrayList<>(n), forModel = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                  int shape = r.nextInt(SHAPES.length);
                  long fill = r.nextLong(); // what a target held before: a miss must leave it as it was
                  forReal.add(page(shape, fill));
                  forModel.add(page(shape, fill));
                }
                assertThat(model.batchGet(batch, forModel)).as(at + ": batchGet").isEqualTo(real.batchGet(batch, forReal));
                for (int i = 0; i < n; i++) {
                  for (int p = 0; p < forReal.get(i).length; p++) {
                    assertThat(forModel.get(i)[p].toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .as(at + ": batchGet page " + i + " part " + p)
                        .isEqualTo(forReal.get(i)[p].toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                  }
                }
              } else if (op < 19) {
                PageKey k = key(r.nextInt(universe));
                assertThat(model.remove(k)).as(at + ": remove").isEqualTo(real.remove(k));
              } else if (r.nextInt(4) == 0) {
                model.clear();
                real.clear();
              }
              assertThat(model.stats()).as(at + ": stats").isEqualTo(real.stats());
              assertThat(model.size()).as(at + ": size").isEqualTo(real.size());
              assertThat(keys(model)).as(at + ": keys held").isEqualTo(keys(real));
            }
            // The LRU order, observed: fresh keys written one at a time evict the held pages coldest first.
            int fresh = universe;
            while (model.size() < pages) {
              MemorySegment[] p = page(0, fresh);
              assertThat(model.set(key(fresh), p)).isEqualTo(real.set(key(fresh), p));
              fresh++;
            }
            List<PageKey> order = new ArrayList<>();
            model.forEachKeyInLruOrder(order::add);
            for (int i = 0; i < order.size(); i++, fresh++) {
              MemorySegment[] p = page(0, fresh);
              real.set(key(fresh), p);
              model.set(key(fresh), p);
              assertThat(keys(real)).as("eviction " + i + " of the drain").doesNotContain(order.get(i))
                  .containsAll(order.subList(i + 1, order.size())).isEqualTo(keys(model));
            }
            assertThat(model.stats()).isEqualTo(real.stats());
          }
  }

  @Test
  void model_failsAsTheRealStore_onBadBatchesAndAfterClose() {
    LocalLruL3Model model = new LocalLruL3Model(config(4));
    LocalL3Store real = LocalL3Store.open(config(4));
    List<PageKey> tooMany = new ArrayList<>();
    for (int i = 0; i <= L3Store.MAX_BATCH_PAGES; i++) tooMany.add(key(i));
    for (L3Store s : List.of(model, real)) {
      assertThatThrownBy(() -> s.batchExists(tooMany)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("at most " + L3Store.MAX_BATCH_PAGES);
      assertThatThrownBy(() -> s.batchSet(List.of(key(1)), java.util.Collections.singletonList(new MemorySegment[0])))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no parts");
      assertThat(s.name()).isEqualTo("local");
      assertThat(s.capabilities()).isEqualTo(real.capabilities());
      s.close();
      s.close(); // twice is fine
      assertThatThrownBy(() -> s.exists(key(1))).isInstanceOf(IllegalStateException.class)
          .hasMessage("process-private local L3 is closed");
      assertThatThrownBy(() -> s.remove(key(1))).isInstanceOf(IllegalStateException.class)
          .hasMessage("process-private local L3 is closed");
    }
    assertThatThrownBy(model::size).isInstanceOf(IllegalStateException.class).hasMessage("process-private local L3 is closed");
  }

  @Test
  void model_refusesAStoreItDoesNotModel() {
    long slot = config(1).slotBytes();
    assertThatThrownBy(() -> new LocalLruL3Model(LocalL3Config.processPrivate(4 * slot, STUB_BYTES, STUB_PARTS)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w-tinylfu");
  }
}
