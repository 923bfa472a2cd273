package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.MemLayout;
import dev.hicache.api.spi.MetricsSink;
import dev.hicache.core.engine.DecodeOffload;
import dev.hicache.core.pool.OffHeapHostPool;
import dev.hicache.jlama.CachedEngine.Turn;
import dev.hicache.jlama.engine.JlamaEngine;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prefill/decode disaggregation with decode offload, two processes sharing the persistent embedded
 * store: a decode-role JVM (launched here; L1 only, no L2 and no L3 of its own cache) finishes a
 * conversation turn and offloads its pages to L3 page by page as it decodes; this JVM, the
 * prefill role, serves the next turn's prompt with the answer's pages from L3, and its logits
 * equal a full prefill's bit for bit.
 */
class DecodeOffloadProcessTest {
  static final int PS = 16;

  @Test void decodeRoleOffloads_prefillRoleServesTheNextTurnFromL3(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(21);
    int[] turn1 = Models.concat(new int[] {1}, Models.randomTokens(r, 70, 256));
    Path in = dir.resolve("turn1.bin");
    Path out = dir.resolve("answer.bin");
    write(in, turn1);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(System.getProperty("hicache.jlama.jvmArgs", "--add-modules jdk.incubator.vector").trim().split("\\s+")));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DecodeRole.class.getName(), dir.resolve("l3").toString(),
        in.toString(), out.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("decode.log").toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the decode role ends").isTrue();
    assertThat(p.exitValue()).as("decode role: %s", Files.readString(dir.resolve("decode.log"))).isZero();
    int[] answered = read(out); // turn 1 + its answer, as the decode role finished it
    assertThat(answered.length).isGreaterThan(turn1.length);
    int[] turn2 = Models.concat(answered, Models.randomTokens(r, 12, 256));
    try (JlamaEngine e = Models.tinyGqa().engine();
         CachedEngine prefill = new CachedEngine(e, new Tiers(PS, 16 * PS, 48 * PS, Tiers.L3.embedded(dir.resolve("l3"), 8 << 20)), null,
             MetricsSink.NONE)) {
      Turn t = prefill.generate(turn2, 1);
      // The decode role offloaded the page-aligned KV of turn 1 + answer (the last answer token has no KV).
      int expected = (answered.length - 1) / PS * PS;
      assertThat(t.storageTokens()).as("tokens served from L3").isEqualTo(expected);
      assertThat(expected).as("the answer's pages are among them").isGreaterThan(turn1.length / PS * PS);
      assertThat(t.firstLogits()).isEqualTo(CachedEngine.generateUncached(e, turn2, 1).firstLogits());
    }
  }

  /** The decode role: L1 only in its cache, a DecodeOffload to the shared store; writes turn 1 + answer. */
  public static final class DecodeRole {
    public static void main(String[] args) throws IOException {
      int[] prompt = read(Path.of(args[1]));
      Tiers tiers = new Tiers(PS, 16 * PS, 0, Tiers.L3.none());
      Tiers.L3 l3 = Tiers.L3.embedded(Path.of(args[0]), 8 << 20);
      try (JlamaEngine e = Models.tinyGqa().engine();
           CachedEngine decode = new CachedEngine(e, tiers, null, MetricsSink.NONE);
           var store = l3.open(tiers.shape(e.spec()));
           OffHeapHostPool staging = new OffHeapHostPool(tiers.shape(e.spec()), MemLayout.PAGE_FIRST, 2 * PS);
           DecodeOffload offload = new DecodeOffload(decode.devicePool(), staging, store, null, MetricsSink.NONE)) {
        Turn t = decode.generate(prompt, 37, offload);
        write(Path.of(args[2]), t.tokens());
      }
    }
  }

  static void write(Path f, int[] tokens) throws IOException {
    try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(f))) {
      o.writeInt(tokens.length);
      for (int t : tokens) o.writeInt(t);
    }
  }

  static int[] read(Path f) throws IOException {
    try (DataInputStream i = new DataInputStream(Files.newInputStream(f))) {
      int[] t = new int[i.readInt()];
      for (int k = 0; k < t.length; k++) t[k] = i.readInt();
      return t;
    }
  }
}
