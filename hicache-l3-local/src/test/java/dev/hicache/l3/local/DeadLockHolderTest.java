package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.hicache.api.spi.L3Exception;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed while it holds an index segment lock, while another process keeps the store
 * open: calls on that segment are quick misses (a typed L3Exception), not Chronicle Map's
 * minute-long stall; other segments work; the next open with no other process restores it all.
 */
class DeadLockHolderTest {
  @TempDir Path tmp;

  @Test
  void segmentLockedByAKilledProcess_isAQuickFailure_andReopeningAloneRestoresIt() throws Exception {
    Path dir = tmp.resolve("l3");
    int slots = 4096, pages = 200;
    long victim = 17;
    try (LocalL3Store store = LocalL3Store.open(CrashPages.config(dir, slots)); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < pages; n++) assertThat(store.set(CrashPages.key(n), CrashPages.source(n, arena))).isTrue();
      try (L3ChildProcess child = new L3ChildProcess(tmp, tmp.resolve("child.err"), "hold-lock", dir.toString(),
          Integer.toString(slots), Long.toString(victim))) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!child.said("LOCKED") && child.process.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(child.said("LOCKED")).as("child stderr in %s", tmp.resolve("child.err")).isTrue();
        child.kill();
      }
      Throwable t = catchThrowable(() -> store.get(CrashPages.key(victim), CrashPages.target(victim, arena)));
      assertThat(t).isInstanceOf(L3Exception.class);
      assertThat(((L3Exception) t).reason()).isEqualTo(L3Exception.Cause.TIMEOUT);
      int readable = 0;
      for (long n = 0; n < pages; n++) {
        MemorySegment[] target = CrashPages.target(n, arena);
        try {
          if (store.get(CrashPages.key(n), target)) {
            assertThat(CrashPages.matches(n, target)).isTrue();
            readable++;
          }
        } catch (L3Exception e) {
          assertThat(e.reason()).isEqualTo(L3Exception.Cause.TIMEOUT); // same segment as the victim
        }
      }
      assertThat(readable).as("pages in other segments are served").isGreaterThan(pages / 2);
    }
    try (LocalL3Store store = LocalL3Store.open(CrashPages.config(dir, slots)); Arena arena = Arena.ofConfined()) {
      for (long n = 0; n < pages; n++) {
        MemorySegment[] target = CrashPages.target(n, arena);
        assertThat(store.get(CrashPages.key(n), target)).as("page %d after reopening alone", n).isTrue();
        assertThat(CrashPages.matches(n, target)).isTrue();
      }
    }
  }
}
