package dev.hicache.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.hicache.simulator.report.Progress.Mode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress lines, on a fake clock: what a terminal and a log see, and when. */
class ProgressTest {
  private static final long S = 1_000_000_000L;

  private final AtomicLong now = new AtomicLong(1_000 * S);
  private final StringWriter out = new StringWriter();

  private Progress progress(long total, Mode mode) {
    return new Progress(() -> total, "requests", mode, new PrintWriter(out), now::get);
  }

  @Test void log_aLineEveryFiveSeconds_withDoneTotalPercentRateAndEta() {
    Progress p = progress(4_096, Mode.LOG);
    now.addAndGet(4 * S);
    p.accept(1_000); // 4 s: too early for a log
    assertThat(out.toString()).isEmpty();
    now.addAndGet(1 * S);
    p.accept(1_024); // 5 s: a quarter done at 204.8 a second: 15 s to go
    assertThat(out.toString()).isEqualTo(
        "hicache: progress: 1,024/4,096 requests (25.0%), 205 requests/s, 5 s elapsed, ETA 15 s" + System.lineSeparator());
    now.addAndGet(4 * S);
    p.accept(2_000); // 4 s after the last line: nothing
    assertThat(out.toString().lines()).hasSize(1);
    now.addAndGet(1 * S);
    p.accept(2_048); // 10 s, half: 10 s to go
    assertThat(out.toString().lines().toList().get(1))
        .isEqualTo("hicache: progress: 2,048/4,096 requests (50.0%), 205 requests/s, 10 s elapsed, ETA 10 s");
    p.close(); // a log keeps its lines
    assertThat(out.toString().lines()).hasSize(2).allSatisfy(l -> assertThat(l).doesNotContain("\r"));
  }

  @Test void terminal_quietAtFirst_thenRedrawnInPlace_andClearedAtTheEnd() {
    Progress p = progress(200, Mode.TERMINAL);
    now.addAndGet(1 * S);
    p.accept(10);
    assertThat(out.toString()).isEmpty(); // a short run shows nothing
    now.addAndGet(1 * S);
    p.accept(50);
    assertThat(out.toString()).isEqualTo(
        "\r[#######.......................] 50/200 requests (25.0%), 2 s elapsed, ETA 6 s");
    now.addAndGet(100_000_000L);
    p.accept(51); // within 200 ms of the last draw
    assertThat(out.toString()).doesNotContain("51/200");
    now.addAndGet(S);
    p.accept(200);
    String last = out.toString().substring(out.toString().lastIndexOf('\r'));
    assertThat(last).startsWith("\r[##############################] 200/200 requests (100.0%), 3 s elapsed, ETA 0 s");
    p.close();
    assertThat(out.toString()).endsWith("\r").doesNotContain("\n");
  }

  @Test void terminal_shorterLine_blanksWhatTheLongerOneLeft() {
    Progress p = new Progress(() -> -1, "runs", Mode.TERMINAL, new PrintWriter(out), now::get);
    now.addAndGet(3 * S);
    p.accept(1_000_000);
    int first = out.toString().length();
    now.addAndGet(S);
    p.accept(1);
    String second = out.toString().substring(first);
    assertThat(second).startsWith("\r1 runs, 4 s elapsed").hasSize(first);
  }

  @Test void unknownTotal_noEta_andTheTotalIsAskedOnceWhenFirstDrawn() {
    AtomicInteger asked = new AtomicInteger();
    Progress p = new Progress(() -> {
      asked.incrementAndGet();
      return -1;
    }, "requests", Mode.LOG, new PrintWriter(out), now::get);
    p.accept(5);
    assertThat(asked).hasValue(0); // a short run never counts a trace's lines
    for (int i = 1; i <= 3; i++) {
      now.addAndGet(5 * S);
      p.accept(1_000L * i);
    }
    assertThat(asked).hasValue(1);
    assertThat(out.toString().lines().toList().get(0))
        .isEqualTo("hicache: progress: 1,000 requests, 200 requests/s, 5 s elapsed");
  }

  @Test void off_printsNothing() {
    Progress p = progress(10, Mode.OFF);
    now.addAndGet(60 * S);
    p.accept(5);
    p.close();
    assertThat(out.toString()).isEmpty();
  }

  @Test void eta_andDurations() {
    assertThat(Progress.eta(0, 10, 5 * S)).isEqualTo("unknown");
    assertThat(Progress.eta(10, 10, 5 * S)).isEqualTo("0 s");
    assertThat(Progress.eta(1, 4, 100 * S)).isEqualTo("5 min 00 s");
    assertThat(Progress.duration(59 * S)).isEqualTo("59 s");
    assertThat(Progress.duration(65 * S)).isEqualTo("1 min 05 s");
    assertThat(Progress.duration(2 * 3600 * S + 3 * 60 * S + 20 * S)).isEqualTo("2 h 03 min");
    // A count past the total (a trace counted as fewer lines) never draws more than a full bar.
    assertThat(Progress.terminalLine(12, 10, "requests", S)).startsWith("[" + "#".repeat(30) + "] 12/10 requests (100.0%)");
  }

  @Test void lineCount_countsLinesWithContent(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("t.jsonl");
    Files.writeString(f, "{}\n\n  \n{}\r\n{}");
    assertThat(Progress.lineCount(f)).isEqualTo(3);
    Files.writeString(f, "");
    assertThat(Progress.lineCount(f)).isZero();
    assertThat(Progress.lineCount(dir.resolve("missing"))).isEqualTo(-1);
  }

  /** The total (a trace's line count) is asked on its own thread a little before the first line, not by the caller. */
  @Test void theTotal_isAskedOnItsOwnThread_beforeTheFirstLine() throws Exception {
    CompletableFuture<String> askedOn = new CompletableFuture<>();
    Progress p = new Progress(() -> {
      askedOn.complete(Thread.currentThread().getName());
      return 100;
    }, "requests", Mode.LOG, new PrintWriter(out), now::get);
    now.addAndGet(Progress.LOG_EVERY_NANOS - Progress.TOTAL_LEAD_NANOS - 1);
    p.accept(10);
    assertThat(askedOn).isNotDone();
    now.addAndGet(1);
    p.accept(20);
    assertThat(askedOn.get()).isEqualTo("hicache-progress-total");
    assertThat(out.toString()).isEmpty();
    now.addAndGet(Progress.TOTAL_LEAD_NANOS);
    p.accept(50);
    assertThat(out.toString()).startsWith("hicache: progress: 50/100 requests (50.0%)");
  }

  @Test void aTotalThatFails_failsTheLine() {
    Progress p = new Progress(() -> {
      throw new IllegalStateException("no total");
    }, "requests", Mode.LOG, new PrintWriter(out), now::get);
    now.addAndGet(Progress.LOG_EVERY_NANOS);
    assertThatThrownBy(() -> p.accept(5)).isInstanceOf(IllegalStateException.class).hasMessage("no total");
  }

  /** The count of lines with content, byte by byte: what {@link Progress#lineCount} must equal. */
  private static long linesWithContent(byte[] bytes) {
    long lines = 0;
    boolean content = false;
    for (byte c : bytes) {
      if (c == '\n') {
        if (content) lines++;
        content = false;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        content = true;
      }
    }
    return content ? lines + 1 : lines;
  }

  @Test void lineCount_equalsTheByteByByteCount_overGeneratedFiles(@TempDir Path dir) {
    // Runs of one byte each (line feeds, blanks, content, bytes >= 0x80), long and short, so that
    // line ends fall anywhere in and across the eight-byte words the count skips.
    byte[] alphabet = {'\n', ' ', '\t', '\r', '{', 'x', (byte) 0x8A, (byte) 0xFF, 0x0B, 0x09};
    qt().withExamples(200).forAll(
            lists().of(integers().between(0, alphabet.length * 64 - 1)).ofSizeBetween(0, 300),
            integers().between(0, 70_000))
        .checkAssert((runs, pad) -> {
          java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
          for (int r : runs) {
            byte c = alphabet[r % alphabet.length];
            for (int k = 0; k <= r / alphabet.length; k++) b.write(c);
          }
          // Past the 64 KiB read buffer now and then: a line split across two reads.
          if (pad % 3 == 0) b.writeBytes(("{" + "y".repeat(pad) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          for (int r : runs) b.write(alphabet[(r + 1) % alphabet.length]);
          byte[] bytes = b.toByteArray();
          Path f = dir.resolve("t.jsonl");
          try {
            Files.write(f, bytes);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          assertThat(Progress.lineCount(f)).isEqualTo(linesWithContent(bytes));
        });
  }
}
