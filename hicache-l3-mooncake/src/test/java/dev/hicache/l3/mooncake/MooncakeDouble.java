package dev.hicache.l3.mooncake;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The C test double of store_c.h ({@code src/test/native/mooncake_store_double.c}), compiled by the
 * test build. Each test class runs in its own JVM (see the pom), so loading it here makes it this
 * process's Mooncake library, exactly as {@code MOONCAKE_STORE_LIBRARY} would.
 */
final class MooncakeDouble {
  private static final AtomicLong CLUSTERS = new AtomicLong();
  static final Duration DEADLINE = Duration.ofSeconds(30);

  private MooncakeDouble() {}

  /** The double's path; skips the calling test (printing why) when the build could not make it. */
  static Path path() {
    String p = System.getProperty("mooncake.double.library");
    boolean built = p != null && Files.isRegularFile(Path.of(p));
    if (!built) {
      String why = "the Mooncake store double was not built (" + (p == null ? "no mooncake.double.library property"
          : p + " is missing; is gcc installed?") + "): skipping the tests that need it";
      System.out.println("[SKIPPED] " + why);
      assumeTrue(false, why);
    }
    return Path.of(p);
  }

  /** The double, loaded as this process's library. */
  static StoreCLibrary library() {
    Path p = path();
    return StoreCLibrary.current().orElseGet(() -> StoreCLibrary.load(p));
  }

  /** A master address no other store of this JVM uses: a fresh, empty in-process cluster. */
  static String freshMaster() {
    return "double-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet() + ":50051";
  }

  static SetupParams params(String master, long segment, long localBuffer) {
    return new SetupParams("localhost", "P2PHANDSHAKE", segment, localBuffer, "tcp", "", master);
  }

  /** A client set up against {@code master} with the given segment and a 1 MiB local buffer. */
  static MooncakeStore store(String master, long segment) {
    MooncakeStore s = MooncakeStore.create(library());
    s.setup(params(master, segment, 1 << 20), DEADLINE, Map.of());
    return s;
  }

  static MooncakeStore store() {
    return store(freshMaster(), 256L << 20);
  }
}
