package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.api.spi.MetricsSink;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.engine.JlamaEngine;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random request sequences — shared and diverging prefixes, random L1/L2 capacities (so random
 * evictions), with and without an L3 — through the cached engine: every answer (first logits and
 * greedy tokens) equals the uncached engine's. More examples: -Dhicache.jlama.pbt.examples=N.
 */
class CachedEnginePropertyTest {
  static JlamaEngine engine;

  @BeforeAll static void open() { engine = Models.tinyGqa().engine(); }

  @AfterAll static void close() { engine.close(); }

  @Test void everyAnswerEqualsTheUncachedEngines() {
    int examples = Integer.getInteger("hicache.jlama.pbt.examples", 6);
    qt().withExamples(examples).withFixedSeed(Long.getLong("hicache.jlama.pbt.seed", 14L))
        .forAll(integers().between(11, 16), integers().between(1, 16), integers().between(0, 1),
            lists().of(integers().between(0, Integer.MAX_VALUE)).ofSizeBetween(2, 5))
        .checkAssert((l1Pages, l2Extra, withL3, requests) -> {
          int ps = 16;
          Tiers tiers = new Tiers(ps, l1Pages * ps, withL3 == 1 || l2Extra > 0 ? (l1Pages + l2Extra) * ps : 0,
              withL3 == 1 ? Tiers.L3.processPrivate(64L * (tiers(ps).bytesPerPage() + 64)) : Tiers.L3.none());
          int[][] roots = new int[3][];
          SplittableRandom r = new SplittableRandom(requests.getFirst());
          for (int i = 0; i < roots.length; i++) roots[i] = Models.concat(new int[] {1}, Models.randomTokens(r, 20 + 13 * i, 256));
          try (CachedEngine ce = new CachedEngine(engine, tiers, null, MetricsSink.NONE)) {
            int[][] history = roots.clone();
            for (int q : requests) {
              SplittableRandom rq = new SplittableRandom(q);
              int which = rq.nextInt(roots.length);
              // Continue a chat (prefix = history), or diverge from inside it.
              int keep = rq.nextBoolean() ? history[which].length : 1 + rq.nextInt(history[which].length);
              int[] prompt = Models.concat(java.util.Arrays.copyOf(history[which], keep), Models.randomTokens(rq, 1 + rq.nextInt(40), 256));
              if (prompt.length > 160) prompt = java.util.Arrays.copyOf(prompt, 160);
              Turn t = ce.generate(prompt, 2);
              Turn base = CachedEngine.generateUncached(engine, prompt, 2);
              assertThat(t.firstLogits()).isEqualTo(base.firstLogits());
              assertThat(t.output()).isEqualTo(base.output());
              history[which] = t.tokens();
            }
            ce.cache().checkInvariants();
          }
        });
  }

  static dev.hicache.api.KvShape tiers(int ps) {
    return new Tiers(ps, ps, 0, Tiers.L3.none()).shape(engine.spec());
  }
}
