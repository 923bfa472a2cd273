package dev.hicache.api.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeOutputTest {
  @TempDir Path dir;

  private long entries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test void write_absentTarget_createsItAndLeavesNothingElse() throws IOException {
    Path t = dir.resolve("report.html");
    assertThat(SafeOutput.check(t)).isEqualTo(SafeOutput.Action.CREATE);
    assertThat(SafeOutput.writeString(t, "<html>")).isEqualTo(SafeOutput.Action.CREATE);
    assertThat(Files.readString(t)).isEqualTo("<html>");
    assertThat(entries()).isEqualTo(1);
  }

  @Test void write_existingRegularFile_replacesItAndSaysSo() throws IOException {
    Path t = dir.resolve("out.csv");
    Files.writeString(t, "old");
    assertThat(SafeOutput.check(t)).isEqualTo(SafeOutput.Action.REPLACE);
    assertThat(SafeOutput.writeString(t, "new")).isEqualTo(SafeOutput.Action.REPLACE);
    assertThat(Files.readString(t)).isEqualTo("new");
    assertThat(entries()).isEqualTo(1);
  }

  @Test void write_characterDevice_refusedAndNeverTouched() throws IOException {
    Path dev = Path.of("/dev/null");
    assumeTrue(Files.exists(dev), "no /dev/null here");
    assertThatThrownBy(() -> SafeOutput.check(dev)).isInstanceOf(SafeOutput.RefusedException.class)
        .hasMessageContaining("character device");
    assertThatThrownBy(() -> SafeOutput.writeString(dev, "x")).isInstanceOf(SafeOutput.RefusedException.class);
    assertThat(Files.isRegularFile(dev)).isFalse();
    assertThat(SafeOutput.kind(dev)).isEqualTo("a character device");
  }

  @Test void write_fifo_refused() throws Exception {
    Path fifo = dir.resolve("pipe");
    Process p;
    try {
      p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "no mkfifo here: " + e);
      return;
    }
    assumeTrue(p.waitFor() == 0, "mkfifo failed");
    assertThatThrownBy(() -> SafeOutput.writeString(fifo, "x")).isInstanceOf(SafeOutput.RefusedException.class)
        .hasMessageContaining("FIFO");
    assertThatThrownBy(() -> SafeOutput.requireRegularOrAbsent(fifo)).hasMessageContaining("FIFO");
    assertThat(Files.isRegularFile(fifo)).isFalse();
    assertThat(entries()).isEqualTo(1);
  }

  @Test void write_directoryOrRoot_refused() throws IOException {
    Files.createDirectory(dir.resolve("sub"));
    assertThatThrownBy(() -> SafeOutput.check(dir.resolve("sub"))).hasMessage("is a directory");
    assertThatThrownBy(() -> SafeOutput.check(Path.of("/"))).hasMessageContaining("root");
    assertThatThrownBy(() -> SafeOutput.check(Path.of(""))).hasMessageContaining("names no file");
    assertThatThrownBy(() -> SafeOutput.requireRegularOrAbsent(dir.resolve("sub"))).hasMessage("is a directory");
  }

  @Test void write_missingFolderOrFileAsFolder_refusedBeforeAnything() throws IOException {
    assertThatThrownBy(() -> SafeOutput.check(dir.resolve("no/such/r.html"))).hasMessageContaining("does not exist");
    Files.writeString(dir.resolve("f"), "");
    assertThatThrownBy(() -> SafeOutput.check(dir.resolve("f/r.html"))).hasMessageContaining("not a directory");
    assertThat(entries()).isEqualTo(1);
  }

  @Test void write_symlinkToFile_replacesTheFileAndKeepsTheLink() throws IOException {
    Path real = dir.resolve("real.html");
    Files.writeString(real, "old");
    Path link = Files.createSymbolicLink(dir.resolve("link.html"), real);
    SafeOutput.writeString(link, "new");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(real)).isEqualTo("new");
    Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
    assertThatThrownBy(() -> SafeOutput.check(dangling)).hasMessageContaining("symbolic link");
  }

  @Test void write_symlinkToDevice_refused() throws IOException {
    assumeTrue(Files.exists(Path.of("/dev/null")), "no /dev/null here");
    Path link = Files.createSymbolicLink(dir.resolve("null-link"), Path.of("/dev/null"));
    assertThatThrownBy(() -> SafeOutput.writeString(link, "x")).hasMessageContaining("character device");
    assertThat(Files.isSymbolicLink(link)).isTrue();
  }

  /** A writer that fails part way leaves the old target as it was and no temporary file. */
  @Test void write_failingContent_leavesTargetAndNoTemp() {
    qt().withExamples(60).forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 300), integers().between(0, 400),
        integers().between(0, 1)).checkAssert((text, failAt, existed) -> {
          try {
            Path t = dir.resolve("t.json");
            Files.deleteIfExists(t);
            if (existed == 1) Files.writeString(t, "previous");
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            boolean fails = failAt < bytes.length;
            try {
              SafeOutput.write(t, out -> {
                for (int i = 0; i < bytes.length; i++) {
                  if (i == failAt) throw new IOException("disk full (test)");
                  out.write(bytes[i]);
                }
              });
              assertThat(fails).isFalse();
              assertThat(Files.readString(t)).isEqualTo(text);
            } catch (IOException e) {
              assertThat(fails).isTrue();
              assertThat(e).hasMessage("disk full (test)");
              if (existed == 1) assertThat(Files.readString(t)).isEqualTo("previous");
              else assertThat(Files.exists(t, LinkOption.NOFOLLOW_LINKS)).isFalse();
            }
            assertThat(entries()).isEqualTo(Files.exists(t) ? 1 : 0);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
