package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.Namespace;
import dev.hicache.api.PageKey;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.engine.InferenceEngine;
import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.l3.local.LocalL3Store;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Controls that must fail or miss: KV that is absent or one position off changes the logits (so the
 * equality tests can fail); KV of another namespace, or a damaged L2 or L3 page, is a miss and a
 * recompute, and the answer is still the full prefill's.
 */
class NegativeControlTest {
  static final int PS = 16;
  final JlamaEngine engine = Models.tinyGqa().engine();
  final SplittableRandom rnd = new SplittableRandom(5);
  final int[] prompt = Models.concat(new int[] {1}, Models.randomTokens(rnd, 90, 256));
  final int cut = 64;

  @org.junit.jupiter.api.AfterEach void close() { engine.close(); }

  float[] full() {
    try (InferenceEngine.Sequence s = engine.newSequence()) {
      return s.forward(prompt, 0);
    }
  }

  @Test void noKv_changesTheLogits() {
    try (InferenceEngine.Sequence s = engine.newSequence()) {
      float[] noPrefix = s.forward(Arrays.copyOfRange(prompt, cut, prompt.length), cut);
      assertThat(noPrefix).isNotEqualTo(full());
    }
  }

  @Test void kvShiftedByOnePosition_changesTheLogits_theRightKvDoesNot() {
    var spec = engine.spec();
    long row = (long) spec.kvRowFloats() * Float.BYTES;
    try (Arena arena = Arena.ofConfined(); InferenceEngine.Sequence src = engine.newSequence()) {
      src.forward(Arrays.copyOf(prompt, cut + 1), 0);
      MemorySegment buf = arena.allocate(row);
      for (int shift : new int[] {0, 1}) {
        try (InferenceEngine.Sequence s = engine.newSequence()) {
          for (int l = 0; l < spec.layers(); l++) {
            for (int kv = 0; kv < 2; kv++) {
              for (int p = 0; p < cut; p++) {
                src.readKv(l, kv, p + shift, buf, 0);
                s.writeKv(l, kv, p, buf, 0);
              }
            }
          }
          float[] logits = s.forward(Arrays.copyOfRange(prompt, cut, prompt.length), cut);
          if (shift == 0) assertThat(logits).isEqualTo(full());
          else assertThat(logits).isNotEqualTo(full());
        }
      }
    }
  }

  @Test void kvOfAnotherNamespace_isAMiss(@TempDir Path dir) {
    PageKey a = Namespace.seed("model-a", null);
    PageKey b = Namespace.seed("model-b", null);
    Tiers tiers = new Tiers(PS, 8 * PS, 24 * PS, Tiers.L3.embedded(dir.resolve("l3"), 8 << 20));
    try (CachedEngine ce = new CachedEngine(engine, tiers, a, MetricsSink.NONE)) {
      ce.generate(prompt, 2);
    }
    try (CachedEngine other = new CachedEngine(engine, tiers, b, MetricsSink.NONE)) {
      Turn t = other.generate(prompt, 2);
      assertThat(t.cachedTokens()).isZero();
      assertThat(t.firstLogits()).isEqualTo(full());
    }
    try (CachedEngine same = new CachedEngine(engine, tiers, a, MetricsSink.NONE)) {
      assertThat(same.generate(prompt, 2).storageTokens()).as("the same namespace hits").isGreaterThanOrEqualTo(64);
    }
  }

  @Test void corruptedL2Page_isAMissAndARecompute() {
    try (CachedEngine ce = new CachedEngine(engine, new Tiers(PS, 8 * PS, 32 * PS, Tiers.L3.none()), null, MetricsSink.NONE)) {
      ce.generate(prompt, 2);
      for (int i = 0; i < 3; i++) ce.generate(Models.concat(new int[] {1}, Models.randomTokens(rnd, 60, 256)), 2);
      MemorySegment host = ce.hostPool().buffer();
      for (long off = 0; off < host.byteSize(); off += 4096) host.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off, (byte) ~host.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off));
      Turn t = ce.generate(prompt, 2);
      assertThat(t.cachedTokens()).isZero();
      assertThat(t.firstLogits()).isEqualTo(full());
      ce.cache().checkInvariants();
    }
  }

  @Test void corruptedL3Page_isAMissAndARecompute(@TempDir Path dir) {
    Tiers tiers = new Tiers(PS, 8 * PS, 24 * PS, Tiers.L3.embedded(dir.resolve("l3"), 8 << 20));
    try (CachedEngine ce = new CachedEngine(engine, tiers, null, MetricsSink.NONE)) {
      ce.generate(prompt, 2);
    }
    try (CachedEngine ce = new CachedEngine(engine, tiers, null, MetricsSink.NONE); Arena arena = Arena.ofConfined()) {
      LocalL3Store store = (LocalL3Store) ce.l3();
      List<PageKey> keys = new ArrayList<>();
      store.forEachKey(keys::add);
      assertThat(keys).isNotEmpty();
      long pageBytes = tiers.shape(engine.spec()).bytesPerPage();
      for (PageKey k : keys) {
        MemorySegment[] parts = {arena.allocate(pageBytes), arena.allocate(16)};
        assertThat(store.batchGet(List.of(k), List.<MemorySegment[]>of(parts))[0]).isTrue();
        parts[0].set(java.lang.foreign.ValueLayout.JAVA_BYTE, 7, (byte) ~parts[0].get(java.lang.foreign.ValueLayout.JAVA_BYTE, 7));
        store.remove(k);
        store.batchSet(List.of(k), List.<MemorySegment[]>of(parts));
      }
      Turn t = ce.generate(prompt, 2);
      assertThat(t.cachedTokens()).isZero();
      assertThat(t.firstLogits()).isEqualTo(full());
    }
  }
}
