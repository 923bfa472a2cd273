package dev.hicache.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hicache.jlama.cli.GenerateCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** ./hicache generate: per-request tier lines, chat turns hitting the cache, bad flags named. */
class GenerateCommandTest {
  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new GenerateCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute(args);
    return new String[] {String.valueOf(rc), out.toString(), err.toString()};
  }

  @Test void storiesChat_secondTurnComesFromTheCache_andTokensAreIdentical(@TempDir Path dir) {
    Models.stories();
    String[] r = run("--model", Models.storiesDir().toString(), "--chat", "--verify", "--max-new-tokens", "12", "--l3", "embedded",
        "--l3-dir", dir.resolve("l3").toString(), "--l3-size-mb", "8", "Once upon a time, there was a dog.", " Then");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("[1] prompt").contains("[2] prompt").doesNotContain("DIFFERENT").contains("tokens identical");
    assertThat(r[1]).containsPattern("\\[2\\] prompt \\d+ tokens: L1 [1-9]");
  }

  @Test void randomModel_runsWithoutAModelFolder() {
    String[] r = run("--max-new-tokens", "3", "hello");
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("[1] prompt");
  }

  @Test void badFlags_areNamed() {
    assertThat(run("--l3", "disk", "x")[2]).contains("--l3: 'disk'");
    assertThat(run("--l3", "embedded", "x")[2]).contains("--l3 embedded needs --l3-dir");
    assertThat(run("--l1-tokens", "100", "x")[2]).contains("L1 capacity 100");
    assertThat(run()[2]).contains("at least one PROMPT");
    assertThat(run("--model", "/nonexistent", "x")[2]).contains("--model: no stories260K.bin");
  }
}
