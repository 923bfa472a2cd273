package dev.hicache.l2.sizing;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hicache.l2.memory.MooncakeByteSize;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.Set;

/**
 * Jazzer fuzz tests of the size parsers and the sizing command. Without JAZZER_FUZZ they replay
 * the seed corpus under src/test/resources/.../SizeParserFuzzTestInputs (and whatever the fuzzer
 * found); with JAZZER_FUZZ=1 they fuzz for real.
 */
class SizeParserFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void parseSize(byte[] data) {
    String s = new String(data, StandardCharsets.UTF_8);
    BigInteger v;
    try {
      v = SizeParser.parse(s);
    } catch (SizeParser.InvalidSizeException e) {
      // Every rejection names the input the way Python's repr() quotes it.
      assertThat(e.getMessage()).matches("(invalid size: |unsupported size unit in |size out of range: ).*");
      assertThat(e.getMessage()).endsWith(PyRepr.repr(s));
      return;
    }
    assertThat(v.signum()).isGreaterThanOrEqualTo(0);
    // Underscores are deleted anywhere and ASCII case does not matter.
    assertThat(SizeParser.parse(s.replace("_", ""))).isEqualTo(v);
    if (s.chars().allMatch(c -> c < 128)) assertThat(SizeParser.parse(s.toUpperCase(Locale.ROOT))).isEqualTo(v);
    // A byte count below 2^53 reads back as itself.
    if (v.bitLength() <= 53) assertThat(SizeParser.parse(v.toString())).isEqualTo(v);
    // The formatter takes any size the parser gives.
    assertThat(SizeFormat.format(v)).matches("\\d+ B|\\d+\\.\\d\\d [KMGT]iB");
    // Mooncake's C++ parser never throws on the same text.
    MooncakeByteSize.parse(s);
  }

  @FuzzTest(maxDuration = "30s")
  void commandLine(byte[] data) {
    String[] args = new String(data, StandardCharsets.UTF_8).split("\0", -1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = HugepageSizing.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), path -> {
          throw new NoSuchFileException(path);
        });
    assertThat(Set.of(0, 1, 2, 64)).contains(exit);
    String o = out.toString(StandardCharsets.UTF_8);
    String e = err.toString(StandardCharsets.UTF_8);
    if (exit == 64) assertThat(e).startsWith("error: ");
    if (!o.isEmpty() && !o.startsWith("usage:") && !o.startsWith("{")) {
      assertThat(o).startsWith("Mooncake HiCache HugeTLB sizing summary\n\n");
      assertThat(e).isEmpty();
    }
  }
}
