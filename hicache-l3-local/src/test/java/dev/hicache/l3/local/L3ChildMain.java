package dev.hicache.l3.local;

import dev.hicache.api.PageKey;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A second process for the tests: {@code crash-writer DIR SLOTS FIRST SEED LIMIT} stores pages FIRST,
 * FIRST+1, ... (at most LIMIT of them, then only reads and removes) until it is killed, printing {@code ACK n .} after each acknowledged page, {@code
 * DEL n .} before removing one, {@code WRONG n .} for a page read back with wrong bytes; {@code
 * share DIR SLOTS FIRST COUNT THEIRS_FIRST THEIRS_COUNT} stores its pages, then waits for the other
 * process's pages and checks them; {@code hold-lock DIR SLOTS N} locks page N's index segment
 * and waits to be killed.
 */
public final class L3ChildMain {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    Path dir = Path.of(args[1]);
    int slots = Integer.parseInt(args[2]);
    try (LocalL3Store store = LocalL3Store.open(CrashPages.config(dir, slots)); Arena arena = Arena.ofShared()) {
      out.println("READY " + store.stats() + " .");
      switch (args[0]) {
        case "crash-writer" -> crashWriter(store, Long.parseLong(args[3]), Long.parseLong(args[4]), Long.parseLong(args[5]), out);
        case "share" -> share(store, Long.parseLong(args[3]), Integer.parseInt(args[4]), Long.parseLong(args[5]),
            Integer.parseInt(args[6]), out);
        case "hold-lock" -> {
          // Takes the index segment lock of page N and never lets go (until killed).
          ((ChronicleIndex) store.index()).lockSegmentForever(CrashPages.key(Long.parseLong(args[3])).bytes());
          out.println("LOCKED .");
          Thread.sleep(Long.MAX_VALUE);
        }
        default -> throw new IllegalArgumentException("mode " + args[0]);
      }
    }
  }

  private static void crashWriter(LocalL3Store store, long first, long seed, long limit, PrintStream out) {
    SplittableRandom r = new SplittableRandom(seed);
    long next = first;
    while (true) {
      try (Arena arena = Arena.ofConfined()) {
        int op = r.nextInt(10);
        if (op < 7 && next - first < limit) {
          int n = 1 + r.nextInt(16);
          List<PageKey> keys = new ArrayList<>();
          List<MemorySegment[]> src = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            keys.add(CrashPages.key(next + i));
            src.add(CrashPages.source(next + i, arena));
          }
          boolean[] ok = store.batchSet(keys, src);
          for (int i = 0; i < n; i++) if (ok[i]) out.println("ACK " + (next + i) + " .");
          next += n;
        } else if (op < 9 && next > first) {
          long n = first + r.nextLong(next - first);
          MemorySegment[] t = CrashPages.target(n, arena);
          if (store.get(CrashPages.key(n), t) && !CrashPages.matches(n, t)) out.println("WRONG " + n + " .");
        } else if (next > first) {
          long n = first + r.nextLong(next - first);
          out.println("DEL " + n + " .");
          store.remove(CrashPages.key(n));
        }
      }
    }
  }

  private static void share(LocalL3Store store, long mine, int count, long theirs, int theirCount, PrintStream out)
      throws InterruptedException {
    try (Arena arena = Arena.ofConfined()) {
      for (long n = mine; n < mine + count; n++) {
        if (store.set(CrashPages.key(n), CrashPages.source(n, arena))) out.println("ACK " + n + " .");
      }
      out.println("STORED .");
      long deadline = System.nanoTime() + 60_000_000_000L;
      int seen = 0;
      while (seen < theirCount && System.nanoTime() < deadline) {
        seen = 0;
        for (long n = theirs; n < theirs + theirCount; n++) {
          MemorySegment[] t = CrashPages.target(n, arena);
          if (store.get(CrashPages.key(n), t)) {
            if (!CrashPages.matches(n, t)) out.println("WRONG " + n + " .");
            seen++;
          }
        }
        if (seen < theirCount) Thread.sleep(50);
      }
      out.println("SAW " + seen + " .");
    }
  }
}
