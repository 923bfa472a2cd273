package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.api.spi.MetricsSink;
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
 * The persistent embedded store across processes: this JVM runs turn 1 and closes; a second JVM
 * (launched here) opens the same store with empty L1 and L2, serves turn 2's prefix from L3, and
 * its logits equal this JVM's full prefill of turn 2, bit for bit.
 */
class PersistentStoreProcessTest {
  static final int PS = 16;

  static Tiers tiers(Path dir) {
    return new Tiers(PS, 16 * PS, 48 * PS, Tiers.L3.embedded(dir, 8 << 20));
  }

  @Test void aSecondProcessServesTheNextTurnFromL3(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(9);
    int[] turn2;
    try (JlamaEngine e = Models.tinyGqa().engine()) {
      try (CachedEngine ce = new CachedEngine(e, tiers(dir.resolve("l3")), null, MetricsSink.NONE)) {
        Turn t1 = ce.generate(Models.concat(new int[] {1}, Models.randomTokens(r, 100, 256)), 8);
        turn2 = Models.concat(t1.tokens(), Models.randomTokens(r, 20, 256));
      }
      Path in = dir.resolve("prompt.bin");
      Path out = dir.resolve("answer.bin");
      try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(in))) {
        o.writeInt(turn2.length);
        for (int t : turn2) o.writeInt(t);
      }
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(Arrays.asList(System.getProperty("hicache.jlama.jvmArgs", "--add-modules jdk.incubator.vector").trim().split("\\s+")));
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SecondProcess.class.getName(), dir.resolve("l3").toString(),
          in.toString(), out.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the second process ends").isTrue();
      assertThat(p.exitValue()).as("second process: %s", Files.readString(dir.resolve("child.log"))).isZero();
      int storage;
      float[] childLogits;
      try (DataInputStream i = new DataInputStream(Files.newInputStream(out))) {
        storage = i.readInt();
        childLogits = new float[i.readInt()];
        for (int k = 0; k < childLogits.length; k++) childLogits[k] = Float.intBitsToFloat(i.readInt());
      }
      assertThat(storage).as("tokens the second process got from L3").isGreaterThanOrEqualTo(96);
      assertThat(childLogits).isEqualTo(CachedEngine.generateUncached(e, turn2, 1).firstLogits());
    }
  }

  /** The second process: empty L1/L2, the same L3 folder; writes its storage hit and first logits. */
  public static final class SecondProcess {
    public static void main(String[] args) throws IOException {
      int[] prompt;
      try (DataInputStream i = new DataInputStream(Files.newInputStream(Path.of(args[1])))) {
        prompt = new int[i.readInt()];
        for (int k = 0; k < prompt.length; k++) prompt[k] = i.readInt();
      }
      try (JlamaEngine e = Models.tinyGqa().engine();
           CachedEngine ce = new CachedEngine(e, tiers(Path.of(args[0])), null, MetricsSink.NONE);
           DataOutputStream o = new DataOutputStream(Files.newOutputStream(Path.of(args[2])))) {
        Turn t = ce.generate(prompt, 1);
        o.writeInt(t.storageTokens());
        o.writeInt(t.firstLogits().length);
        for (float f : t.firstLogits()) o.writeInt(Float.floatToRawIntBits(f));
      }
    }
  }
}
