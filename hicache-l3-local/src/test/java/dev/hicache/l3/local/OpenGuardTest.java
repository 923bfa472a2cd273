package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistent store's guardrails: missing JVM flags and non-regular files fail up front and leave nothing. */
class OpenGuardTest {
  /** Opens a persistent store in args[0] and prints the error's message (run without Chronicle's flags). */
  public static final class OpenWithoutFlags {
    public static void main(String[] args) {
      try (LocalL3Store s = LocalL3Store.open(LocalL3Config.of(Path.of(args[0]), 64L << 20, 4096, 2))) {
        System.out.println("OPENED");
      } catch (RuntimeException e) {
        System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }

  @Test void thisJvm_hasTheFlags() {
    assertThat(LocalL3Store.missingChronicleFlags()).isEmpty();
  }

  @Test void open_withoutChronicleFlags_listsThemAndCreatesNothing(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("store");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-cp", System.getProperty("java.class.path"), OpenWithoutFlags.class.getName(), store.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("IllegalStateException", "--add-opens java.base/java.lang=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true", "nothing was created");
    assertThat(Files.exists(store)).isFalse();
  }

  @Test void open_nonRegularStoreFiles_refusedByName(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("slab.dat"));
    assertThatThrownBy(() -> LocalL3Store.open(LocalL3Config.of(dir, 64L << 20, 4096, 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slab.dat").hasMessageContaining("directory");
    Path d2 = Files.createDirectory(dir.resolve("two"));
    Process p = new ProcessBuilder("mkfifo", d2.resolve("store.lock").toString()).start();
    assumeTrue(p.waitFor() == 0, "no mkfifo");
    assertThatThrownBy(() -> LocalL3Store.open(LocalL3Config.of(d2, 64L << 20, 4096, 2)))
        .hasMessageContaining("store.lock").hasMessageContaining("FIFO");
    Path file = Files.writeString(dir.resolve("plain"), "x");
    assertThatThrownBy(() -> LocalL3Store.open(LocalL3Config.of(file, 64L << 20, 4096, 2)))
        .hasMessageContaining("is not a directory");
  }

  /** A failed open of a new store removes the slab it made (as large as the store's capacity). */
  @Test void open_failingOnANewStore_leavesNoSlab(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("s");
    try (LocalL3Store s = LocalL3Store.open(LocalL3Config.of(store, 64L << 20, 4096, 2))) {
      assertThat(Files.size(store.resolve("slab.dat"))).isPositive();
    }
    // Reopened with another layout: refused, and the existing store's files are kept.
    assertThatThrownBy(() -> LocalL3Store.open(LocalL3Config.of(store, 32L << 20, 4096, 2)))
        .hasMessageContaining("slab");
    assertThat(Files.exists(store.resolve("slab.dat"))).isTrue();
  }
}
