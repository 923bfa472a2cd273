package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processes with the same store open at once see each other's pages, byte for byte. */
class MultiProcessSharingTest {
  @TempDir Path tmp;

  @Test
  void twoProcesses_seeEachOthersPages() throws Exception {
    Path dir = tmp.resolve("l3");
    int slots = 4096, count = 300;
    try (LocalL3Store store = LocalL3Store.open(CrashPages.config(dir, slots)); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < count; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      try (L3ChildProcess child = new L3ChildProcess(tmp, tmp.resolve("child.err"), "share", dir.toString(), Integer.toString(slots),
          "1000", Integer.toString(count), "0", Integer.toString(count))) {
        child.awaitExit();
        assertThat(child.process.exitValue()).as("child exit (stderr in %s)", tmp.resolve("child.err")).isZero();
        assertThat(child.lines()).as("the child saw all of this process's pages, none wrong").contains("SAW " + count + " .")
            .noneMatch(l -> l.startsWith("WRONG"));
        assertThat(child.lines().stream().filter(l -> l.startsWith("ACK"))).hasSize(count);
      }
      for (long n = 1000; n < 1000 + count; n++) {
        MemorySegment[] t = CrashPages.target(n, arena);
        assertThat(store.get(CrashPages.key(n), t)).as("the child's page %d", n).isTrue();
        assertThat(CrashPages.matches(n, t)).isTrue();
      }
      assertThat(store.size()).isEqualTo(2L * count);
    }
  }
}
