package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.spi.MetricsSink;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.engine.JlamaEngine;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prefill that reuses cached KV gives the same logits, bit for bit, as a full prefill of the same
 * prompt, whichever tier served the prefix. The module's tests run Jlama's kernels with the Vector
 * API's intrinsics off (surefire's argLine; see docs/jlama.md): the engine itself is then
 * bit-reproducible, so any difference would be the cache's.
 */
class CachedPrefillEqualityTest {
  static final int PS = 16;

  /** Turn 1 of a chat, then other traffic, then turn 2 (turn 1 + its answer + a new question). */
  static Turn[] twoTurns(CachedEngine ce, JlamaEngine engine, int flood, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int vocab = engine.spec().vocabSize();
    int[] first = Models.concat(new int[] {1}, Models.randomTokens(r, 70, vocab));
    Turn t1 = ce.generate(first, 6);
    for (int i = 0; i < flood; i++) ce.generate(Models.concat(new int[] {1}, Models.randomTokens(r, 60, vocab)), 2);
    int[] second = Models.concat(t1.tokens(), Models.randomTokens(r, 20, vocab));
    Turn t2 = ce.generate(second, 6);
    Turn full = CachedEngine.generateUncached(engine, second, 6);
    assertThat(t2.firstLogits()).as("logits of the cached prefill vs a full prefill").isEqualTo(full.firstLogits());
    assertThat(t2.output()).as("greedy tokens").isEqualTo(full.output());
    ce.cache().checkInvariants();
    return new Turn[] {t1, t2};
  }

  @ParameterizedTest @ValueSource(strings = {"stories260K", "gqa", "mha"})
  void l1Hit(String model) {
    try (JlamaEngine e = Models.engine(model);
         CachedEngine ce = new CachedEngine(e, new Tiers(PS, 64 * PS, 0, Tiers.L3.none()), null, MetricsSink.NONE)) {
      Turn t2 = twoTurns(ce, e, 0, 1)[1];
      assertThat(t2.deviceTokens()).isGreaterThanOrEqualTo(64);
      assertThat(t2.hostTokens() + t2.storageTokens()).isZero();
    }
  }

  @ParameterizedTest @ValueSource(strings = {"stories260K", "gqa", "mha"})
  void l2HitAfterL1Eviction(String model) {
    try (JlamaEngine e = Models.engine(model);
         CachedEngine ce = new CachedEngine(e, new Tiers(PS, 10 * PS, 64 * PS, Tiers.L3.none()), null, MetricsSink.NONE)) {
      Turn t2 = twoTurns(ce, e, 3, 2)[1];
      assertThat(t2.deviceTokens()).isZero();
      assertThat(t2.hostTokens()).isGreaterThanOrEqualTo(64);
    }
  }

  @ParameterizedTest @ValueSource(strings = {"stories260K", "gqa", "mha"})
  void l3HitAfterL1AndL2Eviction(String model, @TempDir Path dir) {
    var metrics = new dev.hicache.core.metrics.InMemoryMetrics();
    try (JlamaEngine e = Models.engine(model);
         CachedEngine ce = new CachedEngine(e, new Tiers(PS, 8 * PS, 24 * PS, Tiers.L3.embedded(dir.resolve("l3"), 8 << 20)), null,
             metrics)) {
      Turn t2 = twoTurns(ce, e, 10, 3)[1];
      assertThat(t2.deviceTokens() + t2.hostTokens()).isZero();
      assertThat(t2.storageTokens()).isGreaterThanOrEqualTo(64);
    }
  }
}
