package dev.hicache.l3.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 at random points: a writer process stores pages (and removes some) until it is killed
 * with {@code destroyForcibly}; the store is then reopened here (recovery) and every page that
 * could exist is read back. No page may verify with wrong bytes, and every page the writer
 * acknowledged (and did not start removing) must be present, byte for byte.
 *
 * <p>{@code -Dhicache.crash.kills=N} sets the number of kills (default 5, a few seconds each);
 * the figures go to stdout and are appended to {@code crash-campaign.txt} in the build folder.
 */
class CrashSafetyTest {
  private static final int SLOTS = 40_000;

  @TempDir Path tmp;

  @Test
  void killedWriters_neverLeaveAWrongPage_andLoseNoAcknowledgedPage() throws Exception {
    int kills = Integer.getInteger("hicache.crash.kills", 5);
    long seed = Long.getLong("hicache.crash.seed", new SplittableRandom().nextLong());
    SplittableRandom r = new SplittableRandom(seed);
    Path dir = tmp.resolve("l3");
    Path errors = tmp.resolve("children.err");
    BitSet acked = new BitSet(), deleted = new BitSet();
    long next = 0, checkFrom = 0, pagesChecked = 0, pagesPresent = 0, acksTotal = 0, wrongAccepted = 0, ackedLost = 0, wrongInWriter = 0;
    long killsBeforeReady = 0, recoveredCommitted = 0, recoveredFreed = 0, staleDropped = 0, clears = 0;

    for (int kill = 0; kill < kills; kill++) {
      try (L3ChildProcess writer = new L3ChildProcess(tmp, errors, "crash-writer", dir.toString(), Integer.toString(SLOTS),
          Long.toString(next), Long.toString(r.nextLong()), Integer.toString(SLOTS / 4))) {
        if (r.nextInt(5) == 0) {
          // Kill during start-up: while it opens, recovers or makes its first writes.
          Thread.sleep(r.nextInt(2500));
        } else {
          long deadline = System.nanoTime() + 60_000_000_000L;
          while (!writer.said("READY") && writer.process.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
          Thread.sleep(r.nextInt(1200));
        }
        if (!writer.said("READY")) killsBeforeReady++;
        writer.kill();
        long maxSeen = next - 1;
        for (String line : writer.lines()) {
          String[] f = line.split(" ");
          if (f.length != 3) continue;
          int n = Integer.parseInt(f[1]);
          switch (f[0]) {
            case "ACK" -> {
              acked.set(n);
              acksTotal++;
            }
            case "DEL" -> deleted.set(n);
            case "WRONG" -> wrongInWriter++;
            default -> { }
          }
          maxSeen = Math.max(maxSeen, n);
        }
        // The writer may have been inside a batch of up to 16 pages past the last one it printed.
        long attempted = maxSeen + 1 + 16;
        try (LocalL3Store store = LocalL3Store.open(CrashPages.config(dir, SLOTS)); Arena arena = Arena.ofConfined()) {
          for (long n = checkFrom; n < attempted; n++) {
            MemorySegment[] t = CrashPages.target(n, arena);
            pagesChecked++;
            if (store.get(CrashPages.key(n), t)) {
              pagesPresent++;
              if (!CrashPages.matches(n, t)) wrongAccepted++;
            } else if (acked.get((int) n) && !deleted.get((int) n)) {
              ackedLost++;
            }
          }
          LocalL3Stats s = store.stats();
          recoveredCommitted += s.recoveredCommitted();
          recoveredFreed += s.recoveredFreed();
          staleDropped += s.staleEntries();
          if (store.size() > SLOTS / 2) {
            // Keep the population under Caffeine's bound (SLOTS less a reserve) so that no eviction can
            // remove an acknowledged page: at most SLOTS / 2 here plus SLOTS / 4 from the next writer.
            store.clear();
            deleted.set(0, (int) attempted);
            checkFrom = attempted; // cleared pages are gone; later rounds check from here
            clears++;
          }
        }
        next = attempted;
      }
    }
    String report = String.format(
        "crash campaign (seed %d): kills %d (%d before the writer was ready), pages acknowledged %d, pages checked %d "
            + "(present %d), wrong pages accepted %d, acknowledged pages lost %d, wrong pages seen by writers %d, "
            + "slots recovered committed %d / freed %d, stale entries dropped %d, clears %d%n",
        seed, kills, killsBeforeReady, acksTotal, pagesChecked, pagesPresent, wrongAccepted, ackedLost, wrongInWriter,
        recoveredCommitted, recoveredFreed, staleDropped, clears);
    System.out.print(report);
    Path out = Path.of(System.getProperty("hicache.crash.report", "crash-campaign.txt"));
    Files.writeString(out.isAbsolute() ? out : Path.of("").toAbsolutePath().resolve(out), report,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    assertThat(wrongAccepted).as("wrong pages accepted").isZero();
    assertThat(wrongInWriter).as("wrong pages read by the writers").isZero();
    assertThat(ackedLost).as("acknowledged pages lost").isZero();
    assertThat(acksTotal).as("the writers got pages acknowledged (else nothing was tested)").isPositive();
  }
}
