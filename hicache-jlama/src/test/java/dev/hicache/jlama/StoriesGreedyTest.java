package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.spi.MetricsSink;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.model.Llama2cTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 24 stories260K prompts sharing prefixes: greedy generations are token-identical with and without the cache. */
class StoriesGreedyTest {
  static final String[] OPENINGS = {
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.",
      "One day, a big brown dog named Max found a shiny red ball under a tree near the river.",
      "Tom and his mom went to the store to buy some apples and milk for breakfast.",
      "There was a small bird who lived in a tall tree. Every morning the bird sang a happy song.",
  };
  static final String[] CONTINUATIONS = {" Then", " One day,", " She said,", " But", " Suddenly,", " The next morning,"};

  @Test void greedyTokensIdenticalWithAndWithoutTheCache(@TempDir Path dir) {
    try (JlamaEngine e = Models.stories().engine();
         CachedEngine ce = new CachedEngine(e, new Tiers(16, 8 * 16, 24 * 16, Tiers.L3.embedded(dir.resolve("l3"), 8 << 20)), null,
             MetricsSink.NONE)) {
      Llama2cTokenizer tok = Models.storiesTokenizer();
      int prompts = 0;
      long cached = 0;
      for (String c : CONTINUATIONS) {
        for (String o : OPENINGS) {
          int[] prompt = tok.encode(o + c, true);
          Turn t = ce.generate(prompt, 24);
          Turn base = CachedEngine.generateUncached(e, prompt, 24);
          assertThat(t.output()).as("greedy tokens of '%s'", o + c).isEqualTo(base.output());
          assertThat(t.firstLogits()).isEqualTo(base.firstLogits());
          prompts++;
          cached += t.cachedTokens();
        }
      }
      assertThat(prompts).isGreaterThanOrEqualTo(20);
      assertThat(cached).as("shared prefixes were served from the cache").isPositive();
      ce.cache().checkInvariants();
    }
  }
}
