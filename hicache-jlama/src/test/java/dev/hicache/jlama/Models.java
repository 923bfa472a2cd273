package dev.hicache.jlama;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hicache.jlama.engine.JlamaEngine;
import dev.hicache.jlama.model.Llama2cCheckpoint;
import dev.hicache.jlama.model.Llama2cTokenizer;
import dev.hicache.jlama.model.LlamaWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** The models of the tests: stories260K from ../shared (skipped when absent) and small random-weight ones. */
final class Models {
  private Models() { }

  static Path storiesDir() {
    String base = System.getProperty("hicache.models", "../../shared/models");
    return Path.of(base, "stories260K");
  }

  /** Skips the calling test (with the reason) when the checkpoint is absent. */
  static LlamaWeights stories() {
    Path bin = storiesDir().resolve("stories260K.bin");
    assumeTrue(Files.isRegularFile(bin), "stories260K is not at " + bin.toAbsolutePath()
        + " (data handed to the project: put it there or pass -Dhicache.models=DIR)");
    try {
      return Llama2cCheckpoint.load(bin);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Llama2cTokenizer storiesTokenizer() {
    try {
      return Llama2cTokenizer.load(storiesDir().resolve("tok512.bin"), 512);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** GQA: 8 query heads over 2 KV heads, 2 layers, random weights. */
  static LlamaWeights tinyGqa() { return LlamaWeights.random(11, 2, 8, 2, 8, 128, 256, 1024); }

  /** Plain MHA: 4 heads, 4 KV heads. */
  static LlamaWeights tinyMha() { return LlamaWeights.random(12, 2, 4, 4, 16, 128, 256, 1024); }

  static JlamaEngine engine(String name) {
    return switch (name) {
      case "stories260K" -> stories().engine();
      case "gqa" -> tinyGqa().engine();
      case "mha" -> tinyMha().engine();
      default -> throw new IllegalArgumentException(name);
    };
  }

  static int[] randomTokens(SplittableRandom r, int n, int vocab) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(vocab - 3);
    return t;
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
