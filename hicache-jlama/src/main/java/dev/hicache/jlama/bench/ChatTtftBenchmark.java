package dev.hicache.jlama.bench;

import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.CacheRequest;
import dev.hicache.core.engine.HiCache;
import dev.hicache.jlama.CachedEngine;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.Tiers;
import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.model.LlamaWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Time to first token of a multi-turn chat on Jlama, per tier that served the prefix, against a
 * full prefill measured in the same run (the baseline): each turn's prompt is the previous prompt,
 * its answer and a new question. For every turn, in this order: baseline (no cache), L1 hit, L2
 * hit (the chat's pages pushed out of L1 by other traffic first), L3 hit (a new cache instance —
 * empty L1 and L2 — over the same persistent embedded store, as another instance or a restarted
 * one would see it; each turn's instance writes the turn through to L3 and closes). Other traffic is admitted and finished through HiCache without running the
 * model (its KV is never read: no chat prompt matches it).
 *
 * <p>Usage: {@code ChatTtftBenchmark [turns] [system tokens] [question tokens] [answer tokens] [layers] [dim]}.
 * Prints one line per turn and tier, and a summary.
 */
public final class ChatTtftBenchmark {
  static final int PS = 64;

  public static void main(String[] args) throws Exception {
    int turns = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int system = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int question = args.length > 2 ? Integer.parseInt(args[2]) : 48;
    int answer = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    int layers = args.length > 4 ? Integer.parseInt(args[4]) : 4;
    int dim = args.length > 5 ? Integer.parseInt(args[5]) : 256;
    int headDim = 64;
    int vocab = 2048;
    int context = 4096;
    LlamaWeights w = LlamaWeights.random(42, layers, dim / headDim, Math.max(1, dim / headDim / 3), headDim, dim * 3, vocab, context);
    Path dir = Files.createTempDirectory("hicache-ttft");
    int cap = ((system + turns * (question + answer) + 2 * PS) / PS + 2) * PS;
    System.out.printf("model: random Llama, %d layers, dim %d, %d heads / %d KV heads, ffn %d; page %d; chat of %d turns: %d-token system prompt, +%d question and %d answer tokens a turn%n",
        layers, dim, dim / headDim, Math.max(1, dim / headDim / 3), dim * 3, PS, turns, system, question, answer);
    try (JlamaEngine e = w.engine();
         CachedEngine l1 = new CachedEngine(e, new Tiers(PS, 2 * cap, 0, Tiers.L3.none()), null, MetricsSink.NONE);
         CachedEngine l2 = new CachedEngine(e, new Tiers(PS, cap, 4 * cap, Tiers.L3.none()), null, MetricsSink.NONE)) {
      SplittableRandom r = new SplittableRandom(7);
      // Warm-up: the JIT compiles Jlama's kernels before anything is timed.
      for (int i = 0; i < 3; i++) CachedEngine.generateUncached(e, tokens(r, 600, vocab), 4);
      // ... and the cached paths (admission, load-back, hand-off, write-back) on a short chat of
      // their own, so that turn 1's cached-path TTFT is what a miss costs, not the JIT's first pass.
      SplittableRandom wr = new SplittableRandom(11);
      int[] wp = tokens(wr, system / 2 + question, vocab);
      for (int t = 0; t < 2; t++) {
        Turn wb = CachedEngine.generateUncached(e, wp, answer);
        l1.generate(wp, answer);
        flood(l2.cache(), wr, 2 * cap, vocab);
        l2.generate(wp, answer);
        try (CachedEngine fresh = new CachedEngine(e, new Tiers(PS, cap, 2 * cap, Tiers.L3.embedded(dir.resolve("warm-up-l3"),
            4L * cap / PS * pageBytes(w))), null, MetricsSink.NONE)) {
          fresh.generate(wp, answer);
        }
        wp = concat(concat(wp, wb.output()), tokens(wr, question, vocab));
      }
      int[] prompt = tokens(r, system + question, vocab);
      List<double[]> rows = new ArrayList<>();
      System.out.println("turn prompt  tier      cached  ttft_ms  vs_base  handoff_ms  handoff_share  tokens_equal  max_abs_logit_diff");
      for (int t = 1; t <= turns; t++) {
        Turn base = CachedEngine.generateUncached(e, prompt, answer);
        print(t, "miss", base, base);
        Turn a = l1.generate(prompt, answer);
        print(t, "L1", a, base);
        flood(l2.cache(), r, 2 * cap, vocab);
        Turn b = l2.generate(prompt, answer);
        print(t, "L2", b, base);
        Turn c;
        try (CachedEngine fresh = new CachedEngine(e, new Tiers(PS, cap, 2 * cap, Tiers.L3.embedded(dir.resolve("l3"), 4L * cap / PS * pageBytes(w))),
            null, MetricsSink.NONE)) {
          c = fresh.generate(prompt, answer);
        }
        print(t, "L3", c, base);
        rows.add(new double[] {t, prompt.length, base.ttftNanos(), a.ttftNanos(), b.ttftNanos(), c.ttftNanos(),
            share(a, prompt), share(b, prompt), share(c, prompt), a.handoffNanos(), b.handoffNanos(), c.handoffNanos()});
        prompt = concat(concat(prompt, base.output()), tokens(r, question, vocab));
      }
      System.out.println();
      System.out.println("turns whose prompt is >= 90 % cached (L1 / L2 / L3 share of prompt):");
      for (String tier : new String[] {"L1", "L2", "L3"}) {
        int col = tier.equals("L1") ? 3 : tier.equals("L2") ? 4 : 5;
        List<Double> ratios = new ArrayList<>();
        for (double[] row : rows) if (row[col + 3] >= 0.9) ratios.add(row[2] / row[col]);
        ratios.sort(Comparator.naturalOrder());
        System.out.printf("  %s: %d turns, baseline/cached TTFT min %.1fx median %.1fx max %.1fx%n", tier, ratios.size(),
            ratios.isEmpty() ? 0 : ratios.getFirst(), ratios.isEmpty() ? 0 : ratios.get(ratios.size() / 2), ratios.isEmpty() ? 0 : ratios.getLast());
      }
    } finally {
      deleteTree(dir);
    }
  }

  static double share(Turn t, int[] prompt) { return (double) t.cachedTokens() / prompt.length; }

  static long pageBytes(LlamaWeights w) {
    return new Tiers(PS, PS, 0, Tiers.L3.none()).shape(w.spec()).bytesPerPage() + 16;
  }

  static void print(int turn, String tier, Turn t, Turn base) {
    float maxDiff = 0;
    for (int i = 0; i < t.firstLogits().length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.firstLogits()[i] - base.firstLogits()[i]));
    System.out.printf("%4d %6d  %-5s %10d %8.1f %7.2fx %11.2f %13.1f%% %13s %19.2e%n", turn, t.prompt().length, tier, t.cachedTokens(),
        t.ttftNanos() / 1e6, (double) base.ttftNanos() / t.ttftNanos(), t.handoffNanos() / 1e6, 100.0 * t.handoffNanos() / t.ttftNanos(),
        Arrays.equals(t.output(), base.output()), maxDiff);
  }

  /** Other traffic: requests admitted and finished through the cache without the model, filling L1 so the chat's pages move down. */
  static void flood(HiCache cache, SplittableRandom r, int tokens, int vocab) {
    int done = 0;
    while (done < tokens) {
      int[] p = tokens(r, 4 * PS, vocab);
      p[0] = 0; // no chat prompt starts with token 0: these pages are never matched by the chat
      CacheRequest req = cache.admit(p);
      while (!cache.extend(req, p.length)) cache.poll();
      cache.finish(req, p, p.length);
      cache.poll();
      done += p.length;
    }
    while (cache.inFlightBackups() > 0) cache.poll();
  }

  static int[] tokens(SplittableRandom r, int n, int vocab) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(vocab - 3);
    return t;
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  static void deleteTree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      });
    }
  }
}
